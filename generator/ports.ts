// Ports the stack's own services bind on every server, whatever the firewall says.
export const SERVICE_PORTS = {
  http: 80,
  https: 443,
  resinCluster: 6800,
  resinWatchdog: 6600,
  postgres: 5432,
} as const;
