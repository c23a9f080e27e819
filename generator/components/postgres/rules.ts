// The postgres section's rules: a database name of the operator's own, one PostgreSQL repository.
import type { OsModule } from '../../os/types.js';
import type { Profile } from '../../profile/types.js';
import type { Report } from '../../profile/rule.js';
import { databaseNameProblem } from '../../profile/names.js';

export function checkAptPostgres(p: Profile, _os: OsModule, report: Report): void {
  if (p.apt.sources && p.postgres.source === 'pgdg') {
    report(['postgres', 'source'], 'warning', 'postgres.source pgdg adds PostgreSQL\'s repository beside apt.sources', 'with a mirror that carries PostgreSQL, set postgres.source: apt');
  }
}

export function checkDatabaseName(p: Profile, _os: OsModule, report: Report): void {
  const why = databaseNameProblem(p.postgres.database);
  if (why) report(['postgres', 'database'], 'error', `${JSON.stringify(p.postgres.database)} ${why}`, 'pick a name of your own, e.g. registry');
}
