import type { catalog as pb } from '@tessera/contracts';
import { allow, type Policies } from '@tessera/grpc-kit';

/** Who may call each catalog RPC: browsing is public, changes are for admins (and clients holding the scope), stock moves only for orders. */
export const catalogPolicies: Policies<pb.CatalogServiceServer> = {
  createProduct: allow.admin(['products:write'], { clients: true }),
  getProduct: allow.public(),
  batchGetProducts: allow.public(),
  listProducts: allow.public(),
  updateProduct: allow.admin(['products:write'], { clients: true }),
  deleteProduct: allow.admin(['products:write'], { clients: true }),
  reserveStock: allow.services('orders'),
  releaseStock: allow.services('orders'),
};
