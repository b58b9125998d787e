import { AppError } from '@tessera/errors';
import type { PageRequest } from '@tessera/data';
import type { Webhook, WebhookRepository } from './notification';
import { assertAllowedUrl, type Resolver, type UrlPolicy } from './url-guard';

export interface WebhookDeps {
  webhooks: WebhookRepository;
  policy: UrlPolicy;
  resolve: Resolver;
}

const EVENT_TYPE = /^[a-z]+(\.[a-z_]+)+$/;

export async function createWebhook(input: { userId: string; url: string; eventTypes: string[] }, deps: WebhookDeps, deadline: number) {
  const url = await assertAllowedUrl(input.url, deps.policy, deps.resolve);
  const bad = input.eventTypes.findIndex((t) => !EVENT_TYPE.test(t));
  if (bad >= 0) throw AppError.invalidArgument('invalid event type', [{ field: `/event_types/${bad}`, description: 'must look like "order.paid"' }]);
  if ((await deps.webhooks.list(input.userId, deadline)).length >= 10) throw AppError.failedPrecondition('at most 10 webhooks per user');
  return deps.webhooks.create({ userId: input.userId, url: url.toString(), eventTypes: [...new Set(input.eventTypes)] }, deadline);
}

export async function deleteWebhook(userId: string, id: string, deps: WebhookDeps, deadline: number): Promise<void> {
  if (!(await deps.webhooks.remove(userId, id, deadline))) throw AppError.notFound('webhook');
}

export async function listWebhooks(userId: string, deps: Pick<WebhookDeps, 'webhooks'>, deadline: number): Promise<Webhook[]> {
  return deps.webhooks.list(userId, deadline);
}

export async function listAttempts(userId: string, webhookId: string, page: PageRequest, deps: WebhookDeps, deadline: number) {
  const result = await deps.webhooks.attempts(userId, webhookId, page, deadline);
  if (!result) throw AppError.notFound('webhook');
  return result;
}
