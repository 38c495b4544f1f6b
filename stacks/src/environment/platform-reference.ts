import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_OUTPUT_NAMES, type PlatformOutputName } from "../platform/outputs.js";

export interface PlatformReference {
  /** The platform's region, known before any resource is declared (to validate against `aws:region`). */
  region: string;
  outputs: Record<PlatformOutputName, pulumi.Output<string>>;
}

/** The platform stack's outputs, read through a StackReference (a missing output is a clear error). */
export async function readPlatform(stackName: string): Promise<PlatformReference> {
  const ref = new pulumi.StackReference("platform", { name: stackName });
  const region = String(await ref.requireOutputValue("region"));
  const outputs = Object.fromEntries(
    PLATFORM_OUTPUT_NAMES.map((name) => [name, ref.requireOutput(name).apply((v) => String(v))]),
  ) as Record<PlatformOutputName, pulumi.Output<string>>;
  return { region, outputs };
}
