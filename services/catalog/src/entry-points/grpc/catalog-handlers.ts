import { catalog as pb } from '@tessera/contracts';
import { formatId, pageRequest, parseId } from '@tessera/data';
import { AppError } from '@tessera/errors';
import type { AsyncServiceImpl } from '@tessera/grpc-kit';
import * as catalog from '../../domain/catalog';
import type { Product } from '../../domain/product';

const toPb = (p: Product): pb.Product => ({
  id: formatId('product', p.id),
  name: p.name,
  description: p.description,
  price: { amountMinor: p.priceMinor, currency: p.currency },
  stock: p.stock,
  createTime: p.createdAt,
  updateTime: p.updatedAt,
});

const money = (price: { amountMinor: number; currency: string } | undefined, field = '/price') => {
  if (!price) throw AppError.invalidArgument('price is required', [{ field, description: 'required' }]);
  return { priceMinor: price.amountMinor, currency: price.currency };
};

/** Decode → use case → encode. */
export function catalogHandlers(deps: catalog.CatalogDeps): AsyncServiceImpl<pb.CatalogServiceServer> {
  return {
    createProduct: async (req, ctx) => ({
      product: toPb(await catalog.createProduct({ name: req.name, description: req.description, ...money(req.price), stock: req.stock }, deps, ctx.deadline)),
    }),
    getProduct: async (req, ctx) => ({ product: toPb(await catalog.getProduct(parseId('product', req.id), deps, ctx.deadline)) }),
    batchGetProducts: async (req, ctx) => {
      const ids = req.ids.map((id, i) => parseId('product', id, `/ids/${i}`));
      const { products, missingIds } = await catalog.batchGetProducts(ids, deps, ctx.deadline);
      return { products: products.map(toPb), missingIds: missingIds.map((id) => formatId('product', id)) };
    },
    listProducts: async (req, ctx) => {
      const page = await catalog.listProducts(
        { query: req.query.trim(), ...(req.minPriceMinor !== undefined ? { minPriceMinor: req.minPriceMinor } : {}), ...(req.maxPriceMinor !== undefined ? { maxPriceMinor: req.maxPriceMinor } : {}) },
        pageRequest(req.page),
        deps,
        ctx.deadline,
      );
      return { products: page.products.map(toPb), page: { nextPageToken: page.nextPageToken } };
    },
    updateProduct: async (req, ctx) => {
      const changes = {
        ...(req.name !== undefined ? { name: req.name } : {}),
        ...(req.description !== undefined ? { description: req.description } : {}),
        ...(req.price ? money(req.price) : {}),
        ...(req.stock !== undefined ? { stock: req.stock } : {}),
      };
      return { product: toPb(await catalog.updateProduct(parseId('product', req.id), changes, deps, ctx.deadline)) };
    },
    deleteProduct: async (req, ctx) => {
      await catalog.deleteProduct(parseId('product', req.id), deps, ctx.deadline);
      return {};
    },
    reserveStock: async (req, ctx) => {
      const orderId = parseId('order', req.orderId, '/order_id');
      const lines = req.lines.map((l, i) => ({ productId: parseId('product', l.productId, `/lines/${i}/product_id`), quantity: l.quantity }));
      return { products: (await catalog.reserveStock(orderId, lines, deps, ctx.deadline)).map(toPb) };
    },
    releaseStock: async (req, ctx) => ({ released: await catalog.releaseStock(parseId('order', req.orderId, '/order_id'), deps, ctx.deadline) }),
  };
}
