import { AirflowConfigError } from "./options.js";

/**
 * The memory budget of the Airflow host (EC2 t3.small: 2 GiB of RAM, plus a 2 GiB swap file).
 *
 * Every container has a hard limit, and the sum of all of them, plus one extractor container
 * (the `openaq_extractor` pool has one slot, so at most one extractor runs at a time, across both
 * environments), plus a reserve for the kernel, dockerd, containerd and the SSM agent, must not
 * exceed the host's RAM. The one-shot `airflow-init` is counted too although it normally exits
 * before the scheduler starts: a re-run of `docker compose up` can start it beside running services.
 *
 * Limits do not restrict swap (no `memswap_limit`), so a container that reaches its limit pages to
 * the swap file instead of being killed at once; swap absorbs peaks, the budget keeps RAM honest.
 */
export const HOST_MEMORY_MIB = 2048;
/** Kernel, page cache floor, dockerd, containerd, amazon-ssm-agent, systemd-journald. */
export const OS_RESERVE_MIB = 128;

export const SERVICE_MEMORY_MIB = {
  postgres: 128,
  "airflow-init": 256,
  "airflow-scheduler": 576,
  "airflow-webserver": 448,
} as const;

export const DEFAULT_EXTRACTOR_MEMORY_MIB = 512;

export type ComposeService = keyof typeof SERVICE_MEMORY_MIB;

export interface MemoryBudget {
  hostMiB: number;
  osReserveMiB: number;
  services: Record<ComposeService, number>;
  extractorMiB: number;
  totalMiB: number;
  headroomMiB: number;
}

/** The budget for a given extractor limit; throws when it does not fit the host. */
export function memoryBudget(extractorMiB: number = DEFAULT_EXTRACTOR_MEMORY_MIB): MemoryBudget {
  const services = { ...SERVICE_MEMORY_MIB };
  const totalMiB = Object.values(services).reduce((a, b) => a + b, 0) + extractorMiB + OS_RESERVE_MIB;
  const headroomMiB = HOST_MEMORY_MIB - totalMiB;
  if (headroomMiB < 0) {
    throw new AirflowConfigError(
      `The Airflow host's memory budget is exceeded by ${-headroomMiB} MiB: lower extractorMemoryMiB (now ${extractorMiB}).`,
    );
  }
  return {
    hostMiB: HOST_MEMORY_MIB,
    osReserveMiB: OS_RESERVE_MIB,
    services,
    extractorMiB,
    totalMiB,
    headroomMiB,
  };
}
