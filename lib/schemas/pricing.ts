import { z } from 'zod';
import { identifier, projectIdAssertion, timestamp, uuid } from './common.js';

/** USD per million tokens. */
const rate = z.number().min(0).max(100_000);

const Rates = {
  inputPerMtok: rate,
  outputPerMtok: rate,
  cacheReadPerMtok: rate.optional(),
  cacheWritePerMtok: rate.optional(),
  reasoningPerMtok: rate.optional(),
};

/** A glob over model ids: the id characters plus `*`. */
const pattern = z.string().regex(/^[A-Za-z0-9._:/@+*-]{1,200}$/, 'must be 1-200 characters of letters, digits, . _ : / @ + - and *');

/** One price of a project's own, as PUT /api/admin/projects/{id}/prices takes it. */
export const PriceBody = z.strictObject({
  model: identifier,
  aliases: z.array(identifier).max(50).default([]),
  pattern: pattern.optional(),
  /** From when the price applies; absent: always (also to runs backfilled from before today). */
  effectiveFrom: timestamp.optional(),
  ...Rates,
  tiers: z
    .array(
      z.strictObject({
        aboveInputTokens: z.int().min(0).max(100_000_000),
        rates: z.strictObject(Rates).partial(),
      }),
    )
    .max(10)
    .default([]),
});
export type PriceBodyT = z.output<typeof PriceBody>;

/** PUT /api/admin/projects/{id}/prices: the project's whole set of own prices (an empty list removes them). */
export const ReplacePricesBody = z.strictObject({
  prices: z
    .array(PriceBody)
    .max(500)
    .superRefine((prices, ctx) => {
      const seen = new Set<string>();
      prices.forEach((p, i) => {
        const key = `${p.model}\u0000${p.effectiveFrom === undefined ? '' : Date.parse(p.effectiveFrom)}`;
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'effectiveFrom'], message: `a second price of ${p.model} from the same date` });
        seen.add(key);
      });
    }),
});

export const ProjectParams = z.strictObject({ id: uuid });

export const PricesQuery = z.strictObject({ ...projectIdAssertion });
