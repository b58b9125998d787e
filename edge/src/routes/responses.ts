import { ID_PREFIXES, type IdKind } from '@tessera/data';
import { z } from 'zod';
import type { Version } from './version';

/**
 * What each route answers, per version, as zod schemas: the OpenAPI document
 * is generated from them (so clients can be generated from it), and the
 * contract test validates every answer of the running edge against that
 * document. Objects are strict: a field the presenters add without a schema
 * fails the contract test.
 */
export function responseSchemas(version: Version) {
  const v2 = version === 'v2';
  const id = (kind: IdKind) => (v2 ? z.string().regex(new RegExp(`^${ID_PREFIXES[kind]}_[1-9][0-9]*$`)) : z.string().regex(/^[1-9][0-9]*$/));
  const time = z.iso.datetime({ offset: true }).nullable();
  const money = v2
    ? z.strictObject({ amount_minor: z.number().int(), currency: z.string().regex(/^[A-Z]{3}$/) })
    : z.strictObject({ amount: z.string().regex(/^-?\d+\.\d{2}$/), currency: z.string().regex(/^[A-Z]{3}$/) });
  const page = <T extends z.ZodType>(item: T) =>
    v2
      ? z.strictObject({ data: z.array(item), next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last one.' }) })
      : z.strictObject({ data: z.array(item), limit: z.number().int(), offset: z.number().int() });
  const list = <T extends z.ZodType>(item: T) => z.strictObject({ data: z.array(item) });

  const user = z.strictObject({ id: id('user'), email: z.string(), display_name: z.string(), role: z.enum(['user', 'admin']), created_at: time, updated_at: time });
  const product = z.strictObject({ id: id('product'), name: z.string(), description: z.string(), price: money, stock: z.number().int().min(0), created_at: time, updated_at: time });
  const orderStatus = z.enum(['pending', 'paid', 'payment_failed', 'cancelled']);
  const order = z
    .strictObject({
      id: id('order'),
      status: orderStatus,
      items: z.array(z.strictObject({ product_id: id('product'), product_name: z.string(), quantity: z.number().int().min(1), unit_price: money, line_total: money })),
      total: money,
      payment_method: z.string(),
      failure_reason: z.string().nullable(),
      created_at: time,
      updated_at: time,
    });
  const paymentStatus = z.enum(['pending', 'authorized', 'captured', 'declined', 'refunded']);
  const payment = z
    .strictObject({
      id: id('payment'),
      order_id: id('order'),
      status: paymentStatus,
      amount: money,
      payment_method: z.string(),
      decline_reason: z.string().nullable(),
      ledger: z.array(z.strictObject({ status: paymentStatus, amount: money, at: time })),
      created_at: time,
    });
  const notification = z.strictObject({ id: id('notification'), type: z.string(), title: z.string(), body: z.string(), subject_id: z.string(), created_at: time, read_at: time });
  const webhook = z.strictObject({ id: id('webhook'), url: z.string(), event_types: z.array(z.string()), created_at: time });
  const apiKey = z.strictObject({ id: id('apiKey'), name: z.string(), scopes: z.array(z.string()), prefix: z.string(), created_at: time, expires_at: time, revoked_at: time });
  const oauthClient = z.strictObject({ client_id: id('oauthClient'), name: z.string(), scopes: z.array(z.string()), created_at: time });
  const tokens = z
    .strictObject({
      access_token: z.string(),
      refresh_token: z.string().optional().meta({ description: 'Absent for client credentials.' }),
      token_type: z.literal('Bearer'),
      expires_in: z.number().int().meta({ description: 'Seconds the access token is valid.' }),
      scope: z.string().optional(),
    });

  // Named: each becomes a component of the document (and a type of the generated client).
  return {
    Money: money,
    User: user,
    UserPage: page(user),
    Product: product,
    ProductPage: page(product),
    Order: order,
    OrderPage: page(order),
    Payment: payment,
    PaymentList: list(payment),
    Notification: notification,
    NotificationPage: page(notification),
    NotificationRead: z.strictObject({ id: id('notification'), read_at: time }),
    Webhook: webhook,
    WebhookCreated: z.strictObject({ ...webhook.shape, signing_secret: z.string().meta({ description: 'Shown once: verify deliveries with it.' }) }),
    WebhookList: list(webhook),
    ApiKey: apiKey,
    ApiKeyCreated: z.strictObject({ ...apiKey.shape, key: z.string().meta({ description: 'The secret, shown once.' }) }),
    ApiKeyList: list(apiKey),
    OAuthClient: oauthClient,
    OAuthClientCreated: z.strictObject({ ...oauthClient.shape, client_secret: z.string().meta({ description: 'Shown once.' }) }),
    OAuthClientList: list(oauthClient),
    TokenPair: tokens,
    /** The enumeration-safe answer to registering or changing an email. */
    Accepted: z.strictObject({ status: z.literal('accepted'), detail: z.string() }),
  } satisfies Record<string, z.ZodType>;
}

/** The name of a documented response body. */
export type ResponseName = keyof ReturnType<typeof responseSchemas>;
