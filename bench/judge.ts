// A goal's verdict from one run's figures. A difference smaller than the run's own noise is
// "within noise": neither met nor failed (a -610 ms "added time" marked met taught us that).
import type { Figure, Goal } from "./harness.js";
import { median } from "./harness.js";

export interface Verdict {
  goal: Goal;
  value?: number;
  /** "within noise": the difference the goal asks about is smaller than this run's noise. */
  outcome?: "met" | "not met" | "within noise";
}

/** Half a figure's min–max spread over its rounds: how far its median may be from the truth. */
const noise = (f: Figure) => (Math.max(...f.samples) - Math.min(...f.samples)) / 2;
/** A time or size that came out ≤ 0 in some round was not measured, only its noise was. */
const unresolved = (f: Figure) => f.better === "lower" && Math.min(...f.samples) <= 0;

export function judge(goal: Goal, figures: Figure[]): Verdict {
  const f = figures.find((x) => x.subject === goal.subject && x.metric === goal.metric);
  if (!f) return { goal };
  const m = median(f.samples);
  const verdict = (value: number, met: boolean, target: number, spread: number, v?: Figure): Verdict => ({
    goal,
    value,
    outcome:
      unresolved(f) || (v && unresolved(v)) || Math.abs(m - target) < spread
        ? "within noise"
        : met
          ? "met"
          : "not met",
  });
  if (goal.bound !== undefined) {
    return verdict(m, f.better === "lower" ? m <= goal.bound : m >= goal.bound, goal.bound, noise(f));
  }
  const v = figures.find((x) => x.subject === goal.versus && x.metric === goal.metric);
  if (!v || goal.ratio === undefined) return { goal };
  // The goal compares m with ratio × v: both medians carry their own noise.
  const vm = median(v.samples);
  const r = m / vm;
  const met = f.better === "lower" ? r <= goal.ratio : r >= goal.ratio;
  return verdict(r, met, goal.ratio * vm, noise(f) + goal.ratio * noise(v), v);
}
