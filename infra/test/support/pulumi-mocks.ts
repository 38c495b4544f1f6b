// The mocks live in infra/src/mocks (the cost report runs stacks under them too); tests import them here.
export * from "../../src/mocks/pulumi-mocks.js";
