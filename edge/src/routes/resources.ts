import { orders as ordersPb, payments as paymentsPb, users as usersPb } from '@tessera/contracts';
import { GrpcStatus, type ServiceError } from '@tessera/grpc-kit';
import { z } from 'zod';
import { problem } from '../errors/problem';
import { minorFromDecimal, type Presenter } from './presenter';
import { route, type Route, type Version } from './route';
import { email, idParam, moneyInput, pageQuery, type PageQuery } from './schemas';

const ORDER_STATUS: Record<number, string> = {
  [ordersPb.OrderStatus.ORDER_STATUS_PENDING]: 'pending',
  [ordersPb.OrderStatus.ORDER_STATUS_PAID]: 'paid',
  [ordersPb.OrderStatus.ORDER_STATUS_PAYMENT_FAILED]: 'payment_failed',
  [ordersPb.OrderStatus.ORDER_STATUS_CANCELLED]: 'cancelled',
};
const PAYMENT_STATUS: Record<number, string> = {
  [paymentsPb.PaymentStatus.PAYMENT_STATUS_PENDING]: 'pending',
  [paymentsPb.PaymentStatus.PAYMENT_STATUS_AUTHORIZED]: 'authorized',
  [paymentsPb.PaymentStatus.PAYMENT_STATUS_CAPTURED]: 'captured',
  [paymentsPb.PaymentStatus.PAYMENT_STATUS_DECLINED]: 'declined',
  [paymentsPb.PaymentStatus.PAYMENT_STATUS_REFUNDED]: 'refunded',
};
const iso = (d: Date | undefined) => d?.toISOString() ?? null;

const presentUser = (f: Presenter, u: usersPb.User) => ({
  id: f.id('user', u.id),
  email: u.email,
  display_name: u.displayName,
  role: u.role === usersPb.Role.ROLE_ADMIN ? 'admin' : 'user',
  created_at: iso(u.createTime),
  updated_at: iso(u.updateTime),
});

const presentProduct = (f: Presenter, p: { id: string; name: string; description: string; price?: { amountMinor: number; currency: string }; stock: number; createTime?: Date; updateTime?: Date }) => ({
  id: f.id('product', p.id),
  name: p.name,
  description: p.description,
  price: f.money(p.price),
  stock: p.stock,
  created_at: iso(p.createTime),
  updated_at: iso(p.updateTime),
});

const presentOrder = (f: Presenter, o: ordersPb.Order) => ({
  id: f.id('order', o.id),
  status: ORDER_STATUS[o.status] ?? 'pending',
  items: o.items.map((i) => ({ product_id: f.id('product', i.productId), product_name: i.productName, quantity: i.quantity, unit_price: f.money(i.unitPrice), line_total: f.money(i.lineTotal) })),
  total: f.money(o.total),
  payment_method: o.paymentMethod,
  failure_reason: o.failureReason || null,
  created_at: iso(o.createTime),
  updated_at: iso(o.updateTime),
});

const presentPayment = (f: Presenter, p: paymentsPb.Payment) => ({
  id: f.id('payment', p.id),
  order_id: f.id('order', p.orderId),
  status: PAYMENT_STATUS[p.status] ?? 'pending',
  amount: f.money(p.amount),
  payment_method: p.paymentMethod,
  decline_reason: p.declineReason || null,
  ledger: p.ledger.map((e) => ({ status: PAYMENT_STATUS[e.status], amount: f.money(e.amount), at: iso(e.createTime) })),
  created_at: iso(p.createTime),
});

const tokenPair = (t: usersPb.TokenPair | undefined) => ({ access_token: t?.accessToken, refresh_token: t?.refreshToken || undefined, token_type: 'Bearer', expires_in: t?.expiresIn, scope: t?.scope || undefined });

/** Self or admin; anyone else gets the same 404 as for a missing user. */
function assertSelfOrAdmin(ctx: { principal: { role: string } | undefined; userId(): string }, target: string): void {
  if (ctx.principal?.role !== 'admin' && ctx.userId() !== target) throw problem(404, 'user not found');
}

/** Every route of one API version; the same gRPC calls behind both. */
export function routes(version: Version): Route[] {
  const money = moneyInput(version);
  const priceIn = (m: z.infer<typeof money>) => ('amount_minor' in m ? { amountMinor: m.amount_minor, currency: m.currency } : { amountMinor: minorFromDecimal(m.amount)!, currency: m.currency });
  const paging = (q: PageQuery) => ({ pageSize: q.limit, pageToken: q.cursor ?? '', offset: q.offset ?? 0 });
  const pageOut = (q: { limit: number; offset?: number }, next: string | undefined) => ({ limit: q.limit, offset: q.offset ?? 0, nextCursor: next ?? '' });

  return [
    // --- users
    route({
      method: 'post', path: '/users', tag: 'users', summary: 'Register a user', access: 'public', scopes: [], authLimited: true, success: 201,
      body: z.strictObject({ email, password: z.string().max(1_024), display_name: z.string().max(200) }),
      async handle(ctx) {
        const { user } = await ctx.clients.users.createUser({ email: ctx.body.email, password: ctx.body.password, displayName: ctx.body.display_name }, ctx.call());
        return { status: 201, body: presentUser(ctx.fmt, user!), headers: { Location: `/api/${version}/users/${ctx.fmt.id('user', user!.id)}` } };
      },
    }),
    route({
      method: 'get', path: '/users/me', tag: 'users', summary: 'The calling user', access: 'user', scopes: ['profile:read'], success: 200,
      async handle(ctx) {
        return { status: 200, body: presentUser(ctx.fmt, (await ctx.clients.users.getUser({ id: ctx.userId() }, ctx.call())).user!) };
      },
    }),
    route({
      method: 'get', path: '/users', tag: 'users', summary: 'List users (admin)', access: 'admin', scopes: ['users:read'], success: 200, query: pageQuery(version),
      async handle(ctx) {
        const res = await ctx.clients.users.listUsers({ page: paging(ctx.query) }, ctx.call());
        return { status: 200, body: ctx.fmt.page(res.users.map((u) => presentUser(ctx.fmt, u)), pageOut(ctx.query, res.page?.nextPageToken)) };
      },
    }),
    route({
      method: 'get', path: '/users/:id', tag: 'users', summary: 'A user (self or admin)', access: 'user', scopes: ['profile:read'], success: 200, params: idParam,
      async handle(ctx) {
        const id = ctx.fmt.parseId('user', ctx.params.id, '/id');
        assertSelfOrAdmin(ctx, id);
        return { status: 200, body: presentUser(ctx.fmt, (await ctx.clients.users.getUser({ id }, ctx.call())).user!) };
      },
    }),
    route({
      method: 'patch', path: '/users/:id', tag: 'users', summary: 'Change a user (self or admin)', access: 'user', scopes: ['profile:write'], success: 200, params: idParam,
      body: z.strictObject({ display_name: z.string().max(200).optional(), email: email.optional() }),
      async handle(ctx) {
        const id = ctx.fmt.parseId('user', ctx.params.id, '/id');
        assertSelfOrAdmin(ctx, id);
        const { user } = await ctx.clients.users.updateUser({ id, ...(ctx.body.display_name !== undefined ? { displayName: ctx.body.display_name } : {}), ...(ctx.body.email !== undefined ? { email: ctx.body.email } : {}) }, ctx.call());
        return { status: 200, body: presentUser(ctx.fmt, user!) };
      },
    }),
    route({
      method: 'delete', path: '/users/:id', tag: 'users', summary: 'Delete a user (self or admin)', access: 'user', scopes: ['profile:write'], success: 204, params: idParam,
      async handle(ctx) {
        const id = ctx.fmt.parseId('user', ctx.params.id, '/id');
        assertSelfOrAdmin(ctx, id);
        await ctx.clients.users.deleteUser({ id }, ctx.call());
        return { status: 204 };
      },
    }),
    // --- sessions
    route({
      method: 'post', path: '/auth/login', tag: 'auth', summary: 'Log in with email and password', access: 'public', scopes: [], authLimited: true, success: 200,
      body: z.strictObject({ email, password: z.string().max(1_024) }),
      async handle(ctx) {
        const res = await ctx.clients.auth.login({ email: ctx.body.email, password: ctx.body.password }, ctx.call());
        return { status: 200, body: tokenPair(res.tokens), headers: { 'Cache-Control': 'no-store' } };
      },
    }),
    route({
      method: 'post', path: '/auth/refresh', tag: 'auth', summary: 'Exchange a refresh token for a new pair', access: 'public', scopes: [], authLimited: true, success: 200,
      body: z.strictObject({ refresh_token: z.string().min(1).max(200) }),
      async handle(ctx) {
        const res = await ctx.clients.auth.refreshToken({ refreshToken: ctx.body.refresh_token }, ctx.call());
        return { status: 200, body: tokenPair(res.tokens), headers: { 'Cache-Control': 'no-store' } };
      },
    }),
    route({
      method: 'post', path: '/auth/logout', tag: 'auth', summary: 'Revoke a refresh token and its family', access: 'public', scopes: [], success: 204,
      body: z.strictObject({ refresh_token: z.string().min(1).max(200) }),
      async handle(ctx) {
        await ctx.clients.auth.logout({ refreshToken: ctx.body.refresh_token }, ctx.call());
        return { status: 204 };
      },
    }),
    // --- API keys (a person's own session only: keys cannot mint keys)
    route({
      method: 'post', path: '/api-keys', tag: 'api-keys', summary: 'Create an API key (the secret is shown once)', access: 'user', scopes: [], sessionOnly: true, success: 201,
      body: z.strictObject({ name: z.string().max(200), scopes: z.array(z.string().max(64)).max(20), expires_at: z.iso.datetime().optional() }),
      async handle(ctx) {
        const res = await ctx.clients.apiKeys.createApiKey({ userId: ctx.userId(), name: ctx.body.name, scopes: ctx.body.scopes, ...(ctx.body.expires_at ? { expireTime: new Date(ctx.body.expires_at) } : {}) }, ctx.call());
        return { status: 201, body: { ...presentKey(ctx.fmt, res.apiKey!), key: res.secret }, headers: { 'Cache-Control': 'no-store' } };
      },
    }),
    route({
      method: 'get', path: '/api-keys', tag: 'api-keys', summary: 'List your API keys', access: 'user', scopes: [], sessionOnly: true, success: 200,
      async handle(ctx) {
        const res = await ctx.clients.apiKeys.listApiKeys({ userId: ctx.userId() }, ctx.call());
        return { status: 200, body: { data: res.apiKeys.map((k) => presentKey(ctx.fmt, k)) } };
      },
    }),
    route({
      method: 'delete', path: '/api-keys/:id', tag: 'api-keys', summary: 'Revoke one of your API keys', access: 'user', scopes: [], sessionOnly: true, success: 204, params: idParam,
      async handle(ctx) {
        await ctx.clients.apiKeys.revokeApiKey({ userId: ctx.userId(), id: ctx.fmt.parseId('apiKey', ctx.params.id, '/id') }, ctx.call());
        return { status: 204 };
      },
    }),
    // --- OAuth clients (admin)
    route({
      method: 'post', path: '/oauth-clients', tag: 'oauth-clients', summary: 'Register a machine client (the secret is shown once)', access: 'admin', scopes: ['users:write'], success: 201,
      body: z.strictObject({ name: z.string().max(200), scopes: z.array(z.string().max(64)).max(20) }),
      async handle(ctx) {
        const res = await ctx.clients.oauthClients.createOAuthClient({ name: ctx.body.name, scopes: ctx.body.scopes }, ctx.call());
        return { status: 201, body: { ...presentClient(ctx.fmt, res.client!), client_secret: res.clientSecret }, headers: { 'Cache-Control': 'no-store' } };
      },
    }),
    route({
      method: 'get', path: '/oauth-clients', tag: 'oauth-clients', summary: 'List machine clients', access: 'admin', scopes: ['users:read'], success: 200,
      async handle(ctx) {
        return { status: 200, body: { data: (await ctx.clients.oauthClients.listOAuthClients({}, ctx.call())).clients.map((c) => presentClient(ctx.fmt, c)) } };
      },
    }),
    route({
      method: 'delete', path: '/oauth-clients/:id', tag: 'oauth-clients', summary: 'Delete a machine client', access: 'admin', scopes: ['users:write'], success: 204, params: idParam,
      async handle(ctx) {
        await ctx.clients.oauthClients.deleteOAuthClient({ id: ctx.fmt.parseId('oauthClient', ctx.params.id, '/id') }, ctx.call());
        return { status: 204 };
      },
    }),
    // --- products
    route({
      method: 'get', path: '/products', tag: 'products', summary: 'List products', access: 'public', scopes: [], success: 200,
      query: pageQuery(version, { q: z.string().max(200).optional(), min_price: z.coerce.number().int().min(0).max(100_000_000_000).optional(), max_price: z.coerce.number().int().min(0).max(100_000_000_000).optional() }),
      async handle(ctx) {
        const q = ctx.query;
        const res = await ctx.clients.catalog.listProducts({ page: paging(q), query: q.q ?? '', ...(q.min_price !== undefined ? { minPriceMinor: q.min_price } : {}), ...(q.max_price !== undefined ? { maxPriceMinor: q.max_price } : {}) }, ctx.call());
        return { status: 200, body: ctx.fmt.page(res.products.map((p) => presentProduct(ctx.fmt, p)), pageOut(q, res.page?.nextPageToken)) };
      },
    }),
    route({
      method: 'get', path: '/products/:id', tag: 'products', summary: 'A product', access: 'public', scopes: [], success: 200, params: idParam,
      async handle(ctx) {
        return { status: 200, body: presentProduct(ctx.fmt, (await ctx.clients.catalog.getProduct({ id: ctx.fmt.parseId('product', ctx.params.id, '/id') }, ctx.call())).product!) };
      },
    }),
    route({
      method: 'post', path: '/products', tag: 'products', summary: 'Create a product (admin)', access: 'admin', scopes: ['products:write'], allowClients: true, success: 201,
      body: z.strictObject({ name: z.string().max(500), description: z.string().max(10_000).default(''), price: money, stock: z.number().int().min(0).max(1_000_000_000) }),
      async handle(ctx) {
        const { product } = await ctx.clients.catalog.createProduct({ name: ctx.body.name, description: ctx.body.description, price: priceIn(ctx.body.price), stock: ctx.body.stock }, ctx.call());
        return { status: 201, body: presentProduct(ctx.fmt, product!), headers: { Location: `/api/${version}/products/${ctx.fmt.id('product', product!.id)}` } };
      },
    }),
    route({
      method: 'patch', path: '/products/:id', tag: 'products', summary: 'Change a product (admin)', access: 'admin', scopes: ['products:write'], allowClients: true, success: 200, params: idParam,
      body: z.strictObject({ name: z.string().max(500).optional(), description: z.string().max(10_000).optional(), price: money.optional(), stock: z.number().int().min(0).max(1_000_000_000).optional() }),
      async handle(ctx) {
        const b = ctx.body;
        const { product } = await ctx.clients.catalog.updateProduct(
          { id: ctx.fmt.parseId('product', ctx.params.id, '/id'), ...(b.name !== undefined ? { name: b.name } : {}), ...(b.description !== undefined ? { description: b.description } : {}), ...(b.price ? { price: priceIn(b.price) } : {}), ...(b.stock !== undefined ? { stock: b.stock } : {}) },
          ctx.call(),
        );
        return { status: 200, body: presentProduct(ctx.fmt, product!) };
      },
    }),
    route({
      method: 'delete', path: '/products/:id', tag: 'products', summary: 'Delete a product (admin)', access: 'admin', scopes: ['products:write'], allowClients: true, success: 204, params: idParam,
      async handle(ctx) {
        await ctx.clients.catalog.deleteProduct({ id: ctx.fmt.parseId('product', ctx.params.id, '/id') }, ctx.call());
        return { status: 204 };
      },
    }),
    // --- orders
    route({
      method: 'post', path: '/orders', tag: 'orders', summary: 'Place an order (requires Idempotency-Key)', access: 'user', scopes: ['orders:write'], idempotent: true, success: 201,
      body: z.strictObject({ items: z.array(z.strictObject({ product_id: z.string().max(64), quantity: z.number().int().min(1).max(1_000) })).min(1).max(50), payment_method: z.string().max(64) }),
      async handle(ctx) {
        const items = ctx.body.items.map((i, n) => ({ productId: ctx.fmt.parseId('product', i.product_id, `/items/${n}/product_id`), quantity: i.quantity }));
        try {
          const res = await ctx.clients.orders.createOrder({ userId: ctx.userId(), items, paymentMethod: ctx.body.payment_method, idempotencyKey: ctx.idempotencyKey! }, ctx.call());
          const id = ctx.fmt.id('order', res.order!.id);
          return { status: res.replayed ? 200 : 201, body: presentOrder(ctx.fmt, res.order!), headers: { Location: `/api/${version}/orders/${id}`, ...(res.replayed ? { 'Idempotent-Replayed': 'true' } : {}) } };
        } catch (error) {
          const e = error as ServiceError;
          // IETF idempotency draft: the same key with another payload is 422.
          if (e.code === GrpcStatus.FAILED_PRECONDITION && /Idempotency-Key/.test(e.details)) throw problem(422, 'this Idempotency-Key was used with a different request');
          throw error;
        }
      },
    }),
    route({
      method: 'get', path: '/orders', tag: 'orders', summary: 'Your orders, newest first', access: 'user', scopes: ['orders:read'], success: 200, query: pageQuery(version),
      async handle(ctx) {
        const res = await ctx.clients.orders.listOrders({ userId: ctx.userId(), page: paging(ctx.query) }, ctx.call());
        return { status: 200, body: ctx.fmt.page(res.orders.map((o) => presentOrder(ctx.fmt, o)), pageOut(ctx.query, res.page?.nextPageToken)) };
      },
    }),
    route({
      method: 'get', path: '/orders/:id', tag: 'orders', summary: 'One of your orders', access: 'user', scopes: ['orders:read'], success: 200, params: idParam,
      async handle(ctx) {
        return { status: 200, body: presentOrder(ctx.fmt, (await ctx.clients.orders.getOrder({ userId: ctx.userId(), id: ctx.fmt.parseId('order', ctx.params.id, '/id') }, ctx.call())).order!) };
      },
    }),
    route({
      method: 'post', path: '/orders/:id/cancel', tag: 'orders', summary: 'Cancel one of your orders (refunds a paid one)', access: 'user', scopes: ['orders:write'], success: 200, params: idParam,
      async handle(ctx) {
        return { status: 200, body: presentOrder(ctx.fmt, (await ctx.clients.orders.cancelOrder({ userId: ctx.userId(), id: ctx.fmt.parseId('order', ctx.params.id, '/id') }, ctx.call())).order!) };
      },
    }),
    route({
      method: 'get', path: '/orders/:id/payments', tag: 'orders', summary: 'Payments of one of your orders', access: 'user', scopes: ['orders:read'], success: 200, params: idParam,
      async handle(ctx) {
        const orderId = ctx.fmt.parseId('order', ctx.params.id, '/id');
        // The order must be the caller's: otherwise the same 404 as for a missing order.
        await ctx.clients.orders.getOrder({ userId: ctx.userId(), id: orderId }, ctx.call());
        const res = await ctx.clients.payments.listPayments({ userId: ctx.userId(), orderId }, ctx.call());
        return { status: 200, body: { data: res.payments.map((p) => presentPayment(ctx.fmt, p)) } };
      },
    }),
    // --- notifications and webhooks
    route({
      method: 'get', path: '/notifications', tag: 'notifications', summary: 'Your inbox, newest first', access: 'user', scopes: ['notifications:read'], success: 200,
      query: pageQuery(version, { unread: z.enum(['true', 'false']).optional() }),
      async handle(ctx) {
        const q = ctx.query;
        const res = await ctx.clients.notifications.listNotifications({ userId: ctx.userId(), page: paging(q), unreadOnly: q.unread === 'true' }, ctx.call());
        return {
          status: 200,
          body: ctx.fmt.page(
            res.notifications.map((n) => ({ id: ctx.fmt.id('notification', n.id), type: n.type, title: n.title, body: n.body, subject_id: n.subjectId, created_at: iso(n.createTime), read_at: iso(n.readTime) })),
            pageOut(q, res.page?.nextPageToken),
          ),
        };
      },
    }),
    route({
      method: 'post', path: '/notifications/:id/read', tag: 'notifications', summary: 'Mark a notification read', access: 'user', scopes: ['notifications:write'], success: 200, params: idParam,
      async handle(ctx) {
        const { notification: n } = await ctx.clients.notifications.markNotificationRead({ userId: ctx.userId(), id: ctx.fmt.parseId('notification', ctx.params.id, '/id') }, ctx.call());
        return { status: 200, body: { id: ctx.fmt.id('notification', n!.id), read_at: iso(n!.readTime) } };
      },
    }),
    route({
      method: 'post', path: '/webhooks', tag: 'webhooks', summary: 'Register a webhook (the signing secret is shown once)', access: 'user', scopes: ['webhooks:write'], success: 201,
      body: z.strictObject({ url: z.string().max(2_000), event_types: z.array(z.string().max(64)).max(20).default([]) }),
      async handle(ctx) {
        const res = await ctx.clients.webhooks.createWebhook({ userId: ctx.userId(), url: ctx.body.url, eventTypes: ctx.body.event_types }, ctx.call());
        return { status: 201, body: { ...presentWebhook(ctx.fmt, res.webhook!), signing_secret: res.signingSecret }, headers: { 'Cache-Control': 'no-store' } };
      },
    }),
    route({
      method: 'get', path: '/webhooks', tag: 'webhooks', summary: 'Your webhooks', access: 'user', scopes: ['webhooks:read'], success: 200,
      async handle(ctx) {
        return { status: 200, body: { data: (await ctx.clients.webhooks.listWebhooks({ userId: ctx.userId() }, ctx.call())).webhooks.map((w) => presentWebhook(ctx.fmt, w)) } };
      },
    }),
    route({
      method: 'delete', path: '/webhooks/:id', tag: 'webhooks', summary: 'Delete one of your webhooks', access: 'user', scopes: ['webhooks:write'], success: 204, params: idParam,
      async handle(ctx) {
        await ctx.clients.webhooks.deleteWebhook({ userId: ctx.userId(), id: ctx.fmt.parseId('webhook', ctx.params.id, '/id') }, ctx.call());
        return { status: 204 };
      },
    }),
  ];
}

const presentKey = (f: Presenter, k: usersPb.ApiKey) => ({ id: f.id('apiKey', k.id), name: k.name, scopes: k.scopes, prefix: k.prefix, created_at: iso(k.createTime), expires_at: iso(k.expireTime), revoked_at: iso(k.revokeTime) });
const presentClient = (f: Presenter, c: usersPb.OAuthClient) => ({ client_id: f.id('oauthClient', c.id), name: c.name, scopes: c.scopes, created_at: iso(c.createTime) });
const presentWebhook = (f: Presenter, w: { id: string; url: string; eventTypes: string[]; createTime?: Date }) => ({ id: f.id('webhook', w.id), url: w.url, event_types: w.eventTypes, created_at: iso(w.createTime) });
