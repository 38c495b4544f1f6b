import {
  crawlerAllowList,
  hostAllowList,
  owoxAllowList,
  type PrincipalAllowList,
  pipelineAllowList,
  wakeSchedulerAllowList,
} from "./principal-allow-lists.js";

/**
 * The principal table of docs/aws.md, rendered from the allow-lists (which come from the contract),
 * so the documentation cannot claim a right the rules would refuse, or miss one they allow.
 * Per-environment lists are rendered for `dev` and written with `{env}`.
 */

function generic(text: string): string {
  return text.replace(/openaq_dev\b/g, "openaq_{env}").replace(/\bdev\b/g, "{env}");
}

/** `arn:*:s3:::*\/dev/raw/*` → `dev/raw/*`; other ARNs lose only their wildcard partition/region/account. */
function shortResource(arn: string): string {
  const s3 = /^arn:\*:s3:::\*(?:\/(.*))?$/.exec(arn);
  if (s3) return s3[1] === undefined ? "the bucket" : s3[1];
  return arn.replace(/^arn:\*:([a-z0-9-]+):\*?:\*?:/, "$1:");
}

function rows(list: PrincipalAllowList, perEnvironment: boolean): string[] {
  const name = perEnvironment ? generic(list.principal) : list.principal;
  return list.entries.map((e) => {
    const resources = e.resources.map(shortResource);
    const on = e.listPrefixes
      ? `${resources.join(", ")} (prefixes ${e.listPrefixes.join(", ")})`
      : resources.join(", ");
    const text = `| ${name} | ${e.actions.join(", ")} | ${on} |`;
    return perEnvironment ? generic(text) : text;
  });
}

export function principalTableMarkdown(): string {
  return [
    "| principal | actions | on |",
    "| --------- | ------- | -- |",
    ...rows(pipelineAllowList("dev"), true),
    ...rows(hostAllowList(), false),
    ...rows(wakeSchedulerAllowList(), false),
    ...rows(owoxAllowList("dev"), true),
    ...rows(crawlerAllowList("dev"), true),
  ].join("\n");
}
