import { CronExpressionParser } from "cron-parser";
import { afterAll, describe, expect, it } from "vitest";
import { awsDagSpecs, DEFAULT_SCHEDULES } from "../src/airflow/index.js";
import {
  awakeMinutesPerDay,
  DEFAULT_SLEEP,
  fireMinutesOfDay,
  IDLE_CHECK_INTERVAL_MINUTES,
  type SleepSettings,
  wakeCron,
  wakesFor,
} from "../src/sleep/wake-times.js";
import { hostOptions } from "./airflow-fixtures.js";
import { type AirflowFacts, IdleCheck } from "./support/idle-check.js";

const check = new IdleCheck();
afterAll(() => check.close());

// The rendered DAG specs of the default deployment (Pulumi.platform.yaml repeats these schedules).
const SCHEDULES = awsDagSpecs({
  ...hostOptions(),
  environments: hostOptions().environments.map(({ schedule: _, ...e }) => e),
}).map((s) => s.schedule);

describe("wake times from the DAG schedules", () => {
  it("reads the minutes of the day a cron schedule fires at (presets too)", () => {
    expect(fireMinutesOfDay("30 2 * * *")).toEqual([150]);
    expect(fireMinutesOfDay("@daily")).toEqual([0]);
    expect(fireMinutesOfDay("0 */6 * * 1-5")).toEqual([0, 360, 720, 1080]);
    expect(() => fireMinutesOfDay("daily")).toThrow(/Cannot read DAG schedule "daily"/);
  });

  it("wakes the host 5 minutes before each DAG of the default schedules (dev 02:00, prod 02:30)", () => {
    expect(SCHEDULES).toEqual([DEFAULT_SCHEDULES.dev, DEFAULT_SCHEDULES.prod]);
    const wakes = wakesFor(SCHEDULES, DEFAULT_SLEEP);
    // 30 minutes apart is more than the 15-minute idle window: each gets its own wake (the second
    // is a no-op when dev's run keeps the host up).
    expect(wakes).toEqual([
      { atMinute: 115, fires: [120] },
      { atMinute: 145, fires: [150] },
    ]);
    expect(wakes.map(wakeCron)).toEqual(["cron(55 1 * * ? *)", "cron(25 2 * * ? *)"]);
    // With a 30-minute window they share one.
    expect(wakesFor(SCHEDULES, { ...DEFAULT_SLEEP, idleMinutes: 30 })).toEqual([
      { atMinute: 115, fires: [120, 150] },
    ]);
  });

  it("estimates the minutes the host is up per day, counting overlapping wakes once", () => {
    const wakes = wakesFor(SCHEDULES, DEFAULT_SLEEP);
    // 01:55 → dev 02:00–02:20 → prod 02:30–02:50 → idle 15 min → +2.5 min until the next check.
    expect(awakeMinutesPerDay(wakes, DEFAULT_SLEEP.idleMinutes, 20)).toBe(73);
    // Runs longer than the gap queue behind each other: 02:00–03:00, 03:00–04:00.
    expect(awakeMinutesPerDay(wakes, DEFAULT_SLEEP.idleMinutes, 60)).toBe(5 + 120 + 15 + 3);
    // A window across midnight counts in full.
    const late = wakesFor(["5 0 * * *"], DEFAULT_SLEEP);
    expect(awakeMinutesPerDay(late, DEFAULT_SLEEP.idleMinutes, 20)).toBe(5 + 20 + 15 + 3);
  });

  it("wakes separately for fire times further apart than the idle window, and across midnight", () => {
    const s: SleepSettings = { idleMinutes: 20, wakeLeadMinutes: 10 };
    expect(wakesFor(["0 2 * * *", "0 14 * * *"], s).map(wakeCron)).toEqual([
      "cron(50 1 * * ? *)",
      "cron(50 13 * * ? *)",
    ]);
    // 23:50 and 00:05 are 15 minutes apart: one wake at 23:40 covers both.
    expect(wakesFor(["50 23 * * *", "5 0 * * *"], s)).toEqual([{ atMinute: 1420, fires: [1430, 5] }]);
    expect(wakesFor(["5 0 * * *"], s).map(wakeCron)).toEqual(["cron(55 23 * * ? *)"]);
  });

  it("refuses a schedule that would keep the host from ever sleeping, and bad settings", () => {
    expect(() => wakesFor(["*/30 * * * *"], { idleMinutes: 20, wakeLeadMinutes: 10 })).toThrow(
      /48 separate groups a day/,
    );
    expect(wakesFor(["*/30 * * * *"], { idleMinutes: 30, wakeLeadMinutes: 10 })).toHaveLength(1);
    expect(() => wakesFor(SCHEDULES, { idleMinutes: 2, wakeLeadMinutes: 10 })).toThrow(/idleMinutes/);
    expect(() => wakesFor(SCHEDULES, { idleMinutes: 20, wakeLeadMinutes: 0 })).toThrow(/wakeLeadMinutes/);
    expect(() => wakesFor(SCHEDULES, { idleMinutes: 20, wakeLeadMinutes: 30 })).toThrow(/must not exceed/);
  });
});

/**
 * A minute-by-minute model of the deployment: EventBridge starts the instance at each wake; it
 * boots; Airflow (catchup=True, as every rendered DAG spec says) creates a run for every fire time
 * up to now, runs them one at a time (one pool slot); the idle timer asks idle_check.py's decide()
 * every 5 minutes from boot and powers the host off when told to.
 */
interface SimOptions {
  schedules: string[];
  settings: SleepSettings;
  /** The simulation starts here; the DAGs' start_date is one day later. */
  from: Date;
  days: number;
  runMinutes: number;
  bootMinutes: number;
  /** Wakes in [start, end) do not happen (EventBridge outage, host stopped by hand). */
  outage?: [Date, Date];
}

interface SimRun {
  dag: number;
  fire: number;
  created: number;
  started?: number;
  ended?: number;
}

async function simulate(o: SimOptions) {
  const MIN = 60_000;
  const t0 = o.from.getTime();
  const end = t0 + o.days * 1440 * MIN;
  const wakeMinutes = new Set(wakesFor(o.schedules, o.settings).map((w) => w.atMinute));
  const fires = o.schedules.map((s) => {
    const it = CronExpressionParser.parse(s, { currentDate: new Date(t0 + 1440 * MIN - 1), tz: "UTC" });
    const out: number[] = [];
    for (let d = it.next().getTime(); d < end; d = it.next().getTime()) out.push(d);
    return out;
  });
  const created = o.schedules.map(() => 0); // how many fire times of each DAG have a run
  const runs: SimRun[] = [];
  let up = false;
  let bootAt = 0;
  const awakeByDay: number[] = Array.from({ length: o.days }, () => 0);
  const stops: number[] = [];
  for (let t = t0; t < end; t += MIN) {
    const minuteOfDay = Math.floor((t % (1440 * MIN)) / MIN);
    const inOutage = o.outage && t >= o.outage[0].getTime() && t < o.outage[1].getTime();
    if (!up && wakeMinutes.has(minuteOfDay) && !inOutage) {
      up = true;
      bootAt = t;
    }
    if (!up) continue;
    const day = Math.floor((t - t0) / (1440 * MIN));
    awakeByDay[day] = (awakeByDay[day] as number) + 1;
    const airflowUp = t >= bootAt + o.bootMinutes * MIN;
    if (airflowUp) {
      fires.forEach((list, dag) => {
        while ((created[dag] as number) < list.length && (list[created[dag] as number] as number) <= t) {
          runs.push({ dag, fire: list[created[dag] as number] as number, created: t });
          created[dag] = (created[dag] as number) + 1;
        }
      });
      for (const r of runs)
        if (r.started !== undefined && r.ended === undefined && t >= r.started + o.runMinutes * MIN)
          r.ended = t;
      if (!runs.some((r) => r.started !== undefined && r.ended === undefined)) {
        const next = runs.filter((r) => r.started === undefined).sort((a, b) => a.fire - b.fire)[0];
        if (next) next.started = t;
      }
    }
    const sinceBoot = (t - bootAt) / MIN;
    if (sinceBoot > 0 && sinceBoot % IDLE_CHECK_INTERVAL_MINUTES === 0) {
      const ends = runs.flatMap((r) => (r.ended === undefined ? [] : [r.ended]));
      const facts: AirflowFacts | null = airflowUp
        ? {
            active_runs: runs.filter((r) => r.ended === undefined).length,
            last_run_end: ends.length ? new Date(Math.max(...ends)).toISOString() : null,
            dags: fires.map((list, dag) => {
              const next = list[created[dag] as number];
              return {
                dag_id: `dag${dag}`,
                paused: false,
                next_due: next ? new Date(next).toISOString() : null,
              };
            }),
          }
        : null;
      const d = await check.decide({
        now: new Date(t),
        facts,
        bootedAt: new Date(bootAt),
        idleMinutes: o.settings.idleMinutes,
      });
      if (d.stop) {
        up = false;
        stops.push(t);
      }
    }
  }
  return { runs, fires, awakeByDay, stops };
}

describe("a sleeping host never misses a DAG run", () => {
  const from = new Date("2026-12-01T00:00:00Z");

  it("is up at every fire time of both DAGs for two weeks, and sleeps the rest of the day", async () => {
    const days = 15;
    const sim = await simulate({
      schedules: SCHEDULES,
      settings: DEFAULT_SLEEP,
      from,
      days,
      runMinutes: 20,
      bootMinutes: 4,
    });
    const expected = sim.fires.flat().length;
    expect(expected).toBe(2 * (days - 1));
    expect(sim.runs).toHaveLength(expected);
    // Each run was created at its fire time (the host was up), and finished.
    for (const r of sim.runs) {
      expect(r.created).toBe(r.fire);
      expect(r.ended).toBeDefined();
    }
    // One stop a day from the start date on (the 02:25 wake finds the host up).
    expect(sim.stops.filter((t) => t >= from.getTime() + 86_400_000)).toHaveLength(days - 1);
    // Awake time per day: what the cost model charges for, to within one check interval.
    const running = sim.awakeByDay.slice(1); // from the DAGs' start date on
    const perDay = running.reduce((a, b) => a + b, 0) / running.length;
    const estimate = awakeMinutesPerDay(wakesFor(SCHEDULES, DEFAULT_SLEEP), DEFAULT_SLEEP.idleMinutes, 20);
    expect(perDay).toBeLessThanOrEqual(estimate + IDLE_CHECK_INTERVAL_MINUTES / 2);
    expect(perDay).toBeGreaterThanOrEqual(estimate - IDLE_CHECK_INTERVAL_MINUTES);
    expect(perDay).toBeLessThan(120);
  });

  it("catches up every run missed while the host could not start, at the next start", async () => {
    const sim = await simulate({
      schedules: SCHEDULES,
      settings: DEFAULT_SLEEP,
      from,
      days: 8,
      runMinutes: 20,
      bootMinutes: 4,
      outage: [new Date("2026-12-02T00:00:00Z"), new Date("2026-12-05T00:00:00Z")],
    });
    expect(sim.runs).toHaveLength(14); // Dec 2 to Dec 8, both DAGs
    const missed = sim.runs.filter((r) => r.created > r.fire);
    // Dec 2, 3 and 4, both DAGs: created on the Dec 5 start, run before the host stopped again.
    expect(missed).toHaveLength(6);
    const restart = new Date("2026-12-05T01:59:00Z").getTime(); // wake 01:55 + 4 min of boot
    for (const r of missed) {
      expect(r.created).toBe(restart);
      expect(r.ended).toBeDefined();
    }
    // ...and all of them finished before the host stopped again.
    const stopAfter = sim.stops.find((s) => s > restart) as number;
    for (const r of missed) expect(r.ended as number).toBeLessThanOrEqual(stopAfter);
  });

  it("covers schedules that skip days or fire several times a day", async () => {
    const schedules = ["0 */6 * * *", "15 4 * * 1"];
    const sim = await simulate({
      schedules,
      settings: DEFAULT_SLEEP,
      from,
      days: 9,
      runMinutes: 15,
      bootMinutes: 4,
    });
    expect(sim.runs).toHaveLength(sim.fires.flat().length);
    expect(sim.runs.every((r) => r.created === r.fire && r.ended !== undefined)).toBe(true);
  });
});
