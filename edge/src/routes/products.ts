import type { catalog as pb } from '@tessera/contracts';
import { z } from 'zod';
import { problem } from '../errors/problem';
import { pageQuery, pageRequest, pageWindow } from './paging';
import { route, type Route } from './route';
import { chars, idParam, moneyInput } from './schemas';
import type { Version } from './version';
import { minorFromDecimal, type VersionFormat } from './version-format';

const presentProduct = (f: VersionFormat, p: pb.Product) => ({
  id: f.id('product', p.id),
  name: p.name,
  description: p.description,
  price: f.money(p.price),
  stock: p.stock,
  created_at: f.time(p.createTime),
  updated_at: f.time(p.updateTime),
});

const stock = z.number().int().min(0).max(1_000_000_000);

export function productRoutes(version: Version): Route[] {
  const money = moneyInput(version);
  const priceIn = (m: z.infer<typeof money>) => ('amount_minor' in m ? { amountMinor: m.amount_minor, currency: m.currency } : { amountMinor: minorFromDecimal(m.amount)!, currency: m.currency });
  // v1 writes money as a decimal `amount`; the catalog checks `amount_minor`.
  const pricePointers: Record<string, string> = version === 'v1' ? { '/price/amount_minor': '/price/amount' } : {};
  const priceFilter = z.coerce.number().int().min(0).max(100_000_000_000).optional();

  return [
    route({
      method: 'get', path: '/products', tag: 'products', summary: 'List products', access: 'public', scopes: [], success: 200, response: 'ProductPage',
      pointers: { '/query': '/query/q', '/min_price_minor': '/query/min_price', '/max_price_minor': '/query/max_price' },
      query: pageQuery(version, { q: z.string().max(200).optional(), min_price: priceFilter, max_price: priceFilter }),
      async handle(ctx) {
        const q = ctx.query;
        const res = await ctx.clients.catalog.listProducts({ page: pageRequest(q), query: q.q ?? '', ...(q.min_price !== undefined ? { minPriceMinor: q.min_price } : {}), ...(q.max_price !== undefined ? { maxPriceMinor: q.max_price } : {}) }, ctx.call());
        return { status: 200, body: ctx.fmt.page(res.products.map((p) => presentProduct(ctx.fmt, p)), pageWindow(q, res.page?.nextPageToken)) };
      },
    }),
    route({
      method: 'get', path: '/products/:id', tag: 'products', summary: 'A product', access: 'public', scopes: [], success: 200, response: 'Product', params: idParam,
      publicCache: { tag: (params, fmt) => fmt.parseId('product', params.id, '/id') },
      async handle(ctx) {
        const product = await ctx.load.product(ctx.fmt.parseId('product', ctx.params.id, '/id'), ctx.call());
        if (!product) throw problem(404, 'product not found');
        return { status: 200, body: presentProduct(ctx.fmt, product) };
      },
    }),
    route({
      method: 'post', path: '/products', tag: 'products', summary: 'Create a product (admin)', access: 'admin', scopes: ['products:write'], allowClients: true, success: 201, response: 'Product', locates: true, pointers: pricePointers,
      body: z.strictObject({ name: chars(1, 200), description: chars(0, 5_000).default(''), price: money, stock }),
      async handle(ctx) {
        const { product } = await ctx.clients.catalog.createProduct({ name: ctx.body.name, description: ctx.body.description, price: priceIn(ctx.body.price), stock: ctx.body.stock }, ctx.call());
        return { status: 201, body: presentProduct(ctx.fmt, product!), headers: { Location: `/api/${version}/products/${ctx.fmt.id('product', product!.id)}` } };
      },
    }),
    route({
      method: 'patch', path: '/products/:id', tag: 'products', summary: 'Change a product (admin)', access: 'admin', scopes: ['products:write'], allowClients: true, success: 200, response: 'Product', params: idParam, pointers: pricePointers,
      invalidatesPublic: { tag: (params, fmt) => fmt.parseId('product', params.id, '/id') },
      body: z.strictObject({ name: chars(1, 200).optional(), description: chars(0, 5_000).optional(), price: money.optional(), stock: stock.optional() }),
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
      invalidatesPublic: { tag: (params, fmt) => fmt.parseId('product', params.id, '/id') },
      async handle(ctx) {
        await ctx.clients.catalog.deleteProduct({ id: ctx.fmt.parseId('product', ctx.params.id, '/id') }, ctx.call());
        return { status: 204 };
      },
    }),
  ];
}
