/**
 * The process: `node main.js` serves, `node main.js migrate` applies the migrations and exits.
 * What it is made of is in service.ts, which tests and the monolith compose too (a bundle runs
 * every module it holds, so the entry point is the only file that starts anything).
 */
import { runMain } from '@tessera/grpc-kit';
import { loadDataConfig, migrateClusters } from '@tessera/data';
import { loadCatalogConfig } from './config';
import { MIGRATIONS_DIR, startCatalogService } from './service';

runMain('catalog', loadCatalogConfig, startCatalogService, (config, logger) => migrateClusters(loadDataConfig(config), MIGRATIONS_DIR, [], logger));
