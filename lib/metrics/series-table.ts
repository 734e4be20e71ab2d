import { MetricsError } from './errors.js';

/** Label values keyed by the metric's declared label names. */
export type LabelValues<L extends string> = { readonly [K in L]: string };

/** The label value every label gets in the series that absorbs label sets beyond the cap. */
export const OVERFLOW_LABEL_VALUE = 'other';

/** One series and its label values, in declaration order. */
export interface SeriesEntry<S> {
  readonly values: readonly string[];
  readonly series: S;
}

type Node = Map<string, unknown>;

/**
 * The series of one metric, found by label values through a tree of Maps, one
 * level per declared label. Looking up a known label set reads one Map entry
 * per label and allocates nothing (a joined string key would allocate on every
 * call), and no separator character can make two label sets collide.
 *
 * At most `maxSeries` label sets get their own series; after that, unknown
 * label sets fold into one series whose values are all `other`, and
 * `onDrop` is called once per folded lookup. So the table never holds more
 * than `maxSeries + 1` series.
 */
export class SeriesTable<S> {
  /** Every series, in creation order (bounded by maxSeries + 1). */
  readonly entries: SeriesEntry<S>[] = [];
  private readonly root: Node = new Map();
  private readonly single: S | undefined;
  private capped = 0;

  constructor(
    private readonly metric: string,
    private readonly labelNames: readonly string[],
    private readonly maxSeries: number,
    private readonly create: () => S,
    private readonly onDrop: () => void,
  ) {
    // A metric without labels has exactly one series, present from the start
    // so it is exposed as 0 before the first event (Prometheus practice).
    if (labelNames.length === 0) {
      this.single = create();
      this.entries.push({ values: [], series: this.single });
    }
  }

  /** The only series of a metric without labels, or undefined when it has labels. */
  get unlabelled(): S | undefined {
    return this.single;
  }

  /** The series for a label set, created on first use (or the overflow series past the cap). */
  get(labels: Readonly<Record<string, string>>): S {
    const names = this.labelNames;
    const last = names.length - 1;
    if (last < 0) return this.single as S;
    let node = this.root;
    for (let i = 0; i < last; i++) {
      const next = node.get(labels[names[i] as string] as string) as Node | undefined;
      if (next === undefined) return this.miss(labels);
      node = next;
    }
    const found = node.get(labels[names[last] as string] as string) as S | undefined;
    return found === undefined ? this.miss(labels) : found;
  }

  private miss(labels: Readonly<Record<string, string>>): S {
    const values = this.labelNames.map((name) => {
      const value: unknown = labels[name];
      if (value === undefined) {
        throw new MetricsError('invalid_label', this.metric, `label "${name}" is missing`);
      }
      // Callers from plain JavaScript may pass numbers; store them as strings.
      return typeof value === 'string' ? value : String(value);
    });
    const existing = this.find(values);
    if (existing !== undefined) return existing;
    if (this.capped < this.maxSeries) {
      this.capped++;
      return this.insert(values);
    }
    this.onDrop();
    const overflow = this.labelNames.map(() => OVERFLOW_LABEL_VALUE);
    return this.find(overflow) ?? this.insert(overflow);
  }

  private find(values: readonly string[]): S | undefined {
    let node: unknown = this.root;
    for (const value of values) {
      node = (node as Node).get(value);
      if (node === undefined) return undefined;
    }
    return node as S;
  }

  private insert(values: readonly string[]): S {
    let node = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      const value = values[i] as string;
      let next = node.get(value) as Node | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
    const series = this.create();
    node.set(values[last] as string, series);
    this.entries.push({ values, series });
    return series;
  }
}
