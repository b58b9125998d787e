export { migrate, type MigrationResult } from './migrate';
