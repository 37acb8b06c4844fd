// What a soak campaign is: a long (or, with --quick, short) run against a built sidecar that prints its figures.

export interface SoakOptions {
  /** The short form, for CI: a fixed amount of work that finishes well under a minute. */
  readonly quick: boolean;
  /** How long a long campaign keeps going (`--minutes`, default 30). */
  readonly durationMs: number;
  /** With --quick: how many requests (or operations) to make (`--requests`); each campaign has its own default when absent. */
  readonly requests: number | null;
  /** Prints one line of figures or progress. */
  readonly log: (line: string) => void;
}

export interface SoakResult {
  /** Every bound held. */
  readonly ok: boolean;
  /** The figures, printed as `name: value` lines. */
  readonly figures: Readonly<Record<string, string | number>>;
  /** The bounds that did not hold, one sentence each. */
  readonly failures: readonly string[];
}

export interface Campaign {
  readonly title: string;
  run(options: SoakOptions): Promise<SoakResult>;
}
