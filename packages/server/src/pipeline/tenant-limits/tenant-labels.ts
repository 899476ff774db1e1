/** The label value of tenants past the bound: not a tenant name (isTenantName refuses parentheses). */
export const OTHER_TENANTS_LABEL = '(other)';

/**
 * The `tenant` label values a metric may take, bounded: the first `max` distinct
 * tenants seen keep their own series (a counter's series is never removed, or its
 * rate would jump); later ones are counted together under {@link OTHER_TENANTS_LABEL}.
 * The default tenant is `tenant=""`.
 */
export class TenantLabels {
  readonly #max: number;
  readonly #known = new Set<string>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The label value to count `tenant` under. */
  of(tenant: string): string {
    const known = this.#known;
    if (known.has(tenant)) return tenant;
    if (known.size >= this.#max) return OTHER_TENANTS_LABEL;
    known.add(tenant);
    return tenant;
  }
}
