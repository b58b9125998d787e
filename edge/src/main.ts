/**
 * The process: `node main.js` serves, `node main.js migrate` applies the migrations and exits.
 * What it is made of is in edge.ts, which tests and the monolith compose too (a bundle runs
 * every module it holds, so the entry point is the only file that starts anything).
 */
import { runMain } from '@tessera/grpc-kit';
import { loadEdgeConfig } from './config';
import { startEdge } from './edge';

runMain('edge', loadEdgeConfig, startEdge);
