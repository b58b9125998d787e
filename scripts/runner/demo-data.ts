import { catalog, users } from '@tessera/contracts';
import { createClient, GrpcStatus, type ServiceError } from '@tessera/grpc-kit';
import { createRegistry } from '@tessera/metrics';

export const DEMO_USER = { email: 'demo@tessera.local', password: 'correct horse battery staple', displayName: 'Demo User' };

const PRODUCTS = [
  ['Espresso beans, 1 kg', 'Dark roast, chocolate notes', 2490, 200],
  ['Pour-over kettle', 'Gooseneck, 1 litre', 5900, 40],
  ['Ceramic dripper', 'Size 02, white', 2200, 80],
  ['Paper filters (100)', 'Unbleached', 690, 500],
  ['Hand grinder', 'Conical burrs, 40 settings', 11900, 25],
  ['Milk jug', 'Stainless steel, 350 ml', 1800, 60],
  ['Travel mug', 'Insulated, 400 ml', 2900, 120],
  ['Scale with timer', '0.1 g resolution', 3900, 50],
] as const;

/** Products (when the catalog is empty) and a demo user (when missing): safe to run on every start. */
export async function seedDemoData(targets: { users: string; catalog: string }, admin: { email: string; password: string }): Promise<{ products: number; demoUser: string }> {
  const registry = createRegistry();
  const usersClient = createClient(users.UsersServiceClient, users.UsersServiceService, targets.users, { registry });
  const authClient = createClient(users.AuthServiceClient, users.AuthServiceService, targets.users, { registry });
  const catalogClient = createClient(catalog.CatalogServiceClient, catalog.CatalogServiceService, targets.catalog, { registry });
  try {
    const existing = await catalogClient.listProducts({ query: '', page: { pageSize: 1, pageToken: '', offset: 0 } });
    let created = 0;
    if (existing.products.length === 0) {
      // Products are an admin's to create: the seed signs in as the admin, like any other client.
      const bearer = (await authClient.login({ email: admin.email, password: admin.password })).tokens!.accessToken;
      for (const [name, description, price, stock] of PRODUCTS) {
        await catalogClient.createProduct({ name, description, price: { amountMinor: price, currency: 'USD' }, stock }, { bearer });
        created++;
      }
    }
    try {
      await usersClient.createUser(DEMO_USER);
    } catch (error) {
      if ((error as ServiceError).code !== GrpcStatus.ALREADY_EXISTS) throw error;
    }
    return { products: created, demoUser: DEMO_USER.email };
  } finally {
    usersClient.close();
    authClient.close();
    catalogClient.close();
  }
}
