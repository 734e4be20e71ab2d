/**
 * The events Iris announces through webhooks, with the Standard Webhooks
 * payload structure (https://www.standardwebhooks.com, "Payload structure"):
 * every body is `{ "type", "timestamp", "data" }`, where `timestamp` is when
 * the event happened (not when it was delivered) and `data` the event's own
 * object. docs/costs.md#webhooks documents each type.
 */
import type { Json } from '../db/types.js';

/** Types an endpoint may subscribe to. */
export const WEBHOOK_EVENT_TYPES = ['budget.threshold_crossed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent only by `POST /api/iris/webhooks/{id}/test`, to that endpoint, whatever it subscribes to. */
export const TEST_EVENT_TYPE = 'webhook.test';

/**
 * `data` of `budget.threshold_crossed`: a budget's spend in one period reached
 * one of its thresholds. Emitted once per budget, threshold and period by the
 * budgets engine, which calls `enqueue_webhook_event` in the transaction that
 * records the crossing, with the dedupe key
 * `budget:<budgetId>:<threshold>:<periodStart>` (see {@link budgetDedupeKey}).
 */
export interface BudgetThresholdCrossedData {
  budgetId: string;
  /** The budget's name. */
  name: string;
  /** The threshold crossed, as a fraction of the amount: 0.5, 0.8, 1. */
  threshold: number;
  /** The budget's period this happened in: `[start, end)`, ISO-8601 UTC. */
  period: { start: string; end: string };
  amountUsd: number;
  /** Spend in the period when the crossing was recorded. */
  spentUsd: number;
  /** What the budget narrows to (null: all). */
  scope: { agentId: string | null; expertId: string | null; model: string | null };
}

/** `data` of `webhook.test`. */
export interface WebhookTestData {
  endpointId: string;
  message: string;
}

/**
 * The dedupe key of a threshold crossing: one event per budget, threshold and period.
 * @example
 * budgetDedupeKey('9f0c…', 0.8, '2026-12-01T00:00:00.000Z'); // 'budget:9f0c…:0.8:2026-12-01T00:00:00.000Z'
 */
export function budgetDedupeKey(budgetId: string, threshold: number, periodStart: string): string {
  return `budget:${budgetId}:${threshold}:${periodStart}`;
}

/** An event type as a metric label: one of the known types, else `other` (labels stay bounded). */
export function eventTypeLabel(type: string): string {
  return type === TEST_EVENT_TYPE || (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type) ? type : 'other';
}

/**
 * The body of one delivery, byte for byte the same on every attempt (the
 * stored payload as JSON, its `timestamp` the event's creation time), so the
 * signature covers exactly what is sent.
 */
export function eventBody(type: string, createdAt: string, data: { [key: string]: Json }): string {
  return JSON.stringify({ type, timestamp: new Date(createdAt).toISOString(), data });
}
