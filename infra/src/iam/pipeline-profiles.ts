import { ENVIRONMENTS, type Environment } from "@openaq-lakehouse/pipeline-core";
import { pipelineRoleName } from "../names.js";
import type { AwsScope } from "./arns.js";

/** The AWS profile name a task of `env` runs under: the same as its role's name. */
export function pipelineProfileName(env: Environment): string {
  return pipelineRoleName(env);
}

/** Where an extractor container finds its AWS config and its environment's session credentials. */
export const CONTAINER_AWS_DIR = "/etc/openaq/aws";

/** On the host: one folder per environment, bind-mounted (that env's only) at `CONTAINER_AWS_DIR`. */
export const HOST_CREDENTIALS_ROOT = "/opt/openaq-airflow/credentials";

export function hostCredentialsDir(env: Environment): string {
  return `${HOST_CREDENTIALS_ROOT}/${pipelineProfileName(env)}`;
}

/** The session source identity every pipeline session carries (required by the roles' trust policy). */
export const PIPELINE_SOURCE_IDENTITY = "openaq-airflow-host";

/** The uid the extractor image runs as (`USER node`): the only reader of the mounted credentials. */
export const EXTRACTOR_UID = 1000;

/**
 * The AWS shared config an extractor container reads (`AWS_CONFIG_FILE`). Containers cannot reach
 * IMDS (hop limit 1 and a DOCKER-USER drop), so each profile reads short-lived session credentials
 * that the host mints for that environment and refreshes in the mounted folder; the SDK runs the
 * `credential_process` again when they near expiry.
 */
export function pipelineAwsConfig(scope: AwsScope, environments: readonly Environment[]): string {
  return environments
    .map((env) =>
      [
        `[profile ${pipelineProfileName(env)}]`,
        `credential_process = cat ${CONTAINER_AWS_DIR}/credentials.json`,
        `region = ${scope.region}`,
        "",
      ].join("\n"),
    )
    .join("\n");
}

/**
 * Bash for the host (run as root by the sync job, every 5 minutes): for each environment, assume
 * its pipeline role with the instance role (source identity `openaq-airflow-host`, one-hour session,
 * the limit for a chained role) when the current credentials are older than 15 minutes, and write
 * them atomically as `credential_process` JSON readable by the extractor's uid only, next to the
 * env's config. A task therefore holds its own environment's credentials and nothing else.
 * Needs `REGION`, `ROOT` and `write_if_changed` from the sync script.
 */
export function mintPipelineCredentialsShell(): string {
  const profiles = ENVIRONMENTS.map(pipelineProfileName).join(" ");
  return `mint_pipeline_credentials() {
  local caller partition account profile dir tmp
  caller=$(aws sts get-caller-identity --region "$REGION" --query Arn --output text)
  partition=$(printf '%s' "$caller" | cut -d: -f2)
  account=$(printf '%s' "$caller" | cut -d: -f5)
  for profile in ${profiles}; do
    dir="$ROOT${HOST_CREDENTIALS_ROOT}/$profile"
    install -d -m 0755 "$dir"
    printf '[profile %s]\\ncredential_process = cat %s/credentials.json\\nregion = %s\\n' \\
      "$profile" "${CONTAINER_AWS_DIR}" "$REGION" | write_if_changed 0444 "$dir/config" || true
    if [ -s "$dir/credentials.json" ] && [ -z "$(find "$dir/credentials.json" -mmin +15)" ]; then
      continue
    fi
    tmp=$(mktemp "$dir/.credentials.XXXXXX")
    # shellcheck disable=SC2016 # the backticks are a JMESPath literal, not a command substitution
    if ! aws sts assume-role --region "$REGION" \\
      --role-arn "arn:$partition:iam::$account:role/$profile" \\
      --role-session-name "$profile-$(date -u +%Y%m%dT%H%M%S)" \\
      --source-identity ${PIPELINE_SOURCE_IDENTITY} --duration-seconds 3600 \\
      --query '{Version: \`1\`, AccessKeyId: Credentials.AccessKeyId, SecretAccessKey: Credentials.SecretAccessKey, SessionToken: Credentials.SessionToken, Expiration: Credentials.Expiration}' \\
      --output json >"$tmp"; then
      rm -f "$tmp"
      log "cannot assume $profile (its stack may not be deployed yet)"
      continue
    fi
    chown ${EXTRACTOR_UID}:${EXTRACTOR_UID} "$tmp"
    chmod 0400 "$tmp"
    mv -f "$tmp" "$dir/credentials.json"
  done
}`;
}

/**
 * Bash for the host: no container reaches the instance metadata service (the instance role's
 * credentials), whatever its hop count. Idempotent; Docker keeps DOCKER-USER across restarts.
 */
export const IMDS_GUARD_SHELL = `guard_imds() {
  iptables -N DOCKER-USER 2>/dev/null || true
  iptables -C DOCKER-USER -d 169.254.169.254/32 -j DROP 2>/dev/null ||
    iptables -I DOCKER-USER -d 169.254.169.254/32 -j DROP
}`;
