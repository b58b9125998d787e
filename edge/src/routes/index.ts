import { apiKeyRoutes } from './api-keys';
import { notificationRoutes } from './notifications';
import { oauthClientRoutes } from './oauth-clients';
import { orderRoutes } from './orders';
import { productRoutes } from './products';
import type { Route } from './route';
import { sessionRoutes } from './sessions';
import { userRoutes } from './users';
import type { Version } from './version';
import { webhookRoutes } from './webhooks';

/** The route table of one API version: every resource, the same gRPC calls behind both versions. */
export function routesFor(version: Version, options: { enumerationSafe?: boolean } = {}): Route[] {
  return [
    ...userRoutes(version, options.enumerationSafe ?? false),
    ...sessionRoutes(),
    ...apiKeyRoutes(),
    ...oauthClientRoutes(),
    ...productRoutes(version),
    ...orderRoutes(version),
    ...notificationRoutes(version),
    ...webhookRoutes(),
  ];
}
