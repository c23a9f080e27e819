// The smallest profile a qemu build takes (debian-12, no OpenSSL or JDK download), for the
// tests that run the build with the Packer stand-in.
export const QEMU_PROFILE =
  `apiVersion: cocca-bake/v1\nname: q\nos: debian-12\nhost: {fqdn: q.example}\nfirewall: {trusted: [192.0.2.0/24]}\nsecrets: {source: user-data}\n` +
  `openssl: {enabled: false}\njava: {source: apt, package: openjdk-17-jdk-headless}\n` +
  `targets: {qemu: {accelerator: tcg, baseImage: {url: "file:///srv/base.qcow2", sha256: "${'a'.repeat(64)}"}}}\n`;
