import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Figure, Goal } from "../bench/harness.js";
import { judge } from "../bench/judge.js";

const ms = (subject: string, samples: number[]): Figure => ({
  subject,
  metric: "added time",
  unit: "ms",
  samples,
  better: "lower",
});
const half: Goal = {
  text: "≤ 0.5× client-node",
  subject: "kubefetch",
  metric: "added time",
  versus: "client-node",
  ratio: 0.5,
};

describe("bench goals: a difference smaller than the run's noise is within noise", () => {
  it("a clear ratio below the goal is met", () => {
    const v = judge(half, [ms("kubefetch", [90, 100, 110]), ms("client-node", [900, 910, 920])]);
    assert.equal(v.outcome, "met");
    assert.ok(Math.abs((v.value as number) - 100 / 910) < 1e-9);
  });

  it("a clear ratio above the goal is not met", () => {
    const v = judge(half, [ms("kubefetch", [700, 710, 720]), ms("client-node", [900, 910, 920])]);
    assert.equal(v.outcome, "not met");
  });

  it("a negative added time (one round, -610 ms) is within noise, not met", () => {
    const v = judge(half, [ms("kubefetch", [-610]), ms("client-node", [1260])]);
    assert.equal(v.outcome, "within noise");
  });

  it("a min–max range that crosses zero is within noise", () => {
    const v = judge(half, [ms("kubefetch", [-20, 90, 330]), ms("client-node", [880, 910, 960])]);
    assert.equal(v.outcome, "within noise");
  });

  it("a ratio whose distance to the goal is smaller than the spreads is within noise", () => {
    // 0.79× against ≥ 0.8×, each side ±5 %: the goal's line is inside the noise.
    const goal: Goal = { ...half, ratio: 0.8 };
    const rps = (subject: string, samples: number[]): Figure => ({
      ...ms(subject, samples),
      unit: "req/s",
      better: "higher",
    });
    const v = judge(goal, [rps("kubefetch", [1460, 1535, 1610]), rps("client-node", [1850, 1939, 2030])]);
    assert.equal(v.outcome, "within noise");
    const clear = judge(goal, [rps("kubefetch", [1530, 1535, 1540]), rps("client-node", [1935, 1939, 1945])]);
    assert.equal(clear.outcome, "not met");
  });

  it("a bound: met, not met, within noise", () => {
    const bound: Goal = { text: "< 5 s", subject: "kubefetch", metric: "added time", bound: 5 };
    assert.equal(judge(bound, [ms("kubefetch", [2.4, 2.5, 2.6])]).outcome, "met");
    assert.equal(judge(bound, [ms("kubefetch", [6, 6.1])]).outcome, "not met");
    assert.equal(judge(bound, [ms("kubefetch", [4, 5.2, 6])]).outcome, "within noise");
  });

  it("a goal whose figures are missing has no verdict", () => {
    assert.equal(judge(half, [ms("kubefetch", [100])]).outcome, undefined);
  });
});
