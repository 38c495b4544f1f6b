/**
 * Running a stack's Pulumi program without a cloud: mocks that record every resource the program
 * registers and answer with the outputs AWS would compute, and the stack files as config. Used by
 * the stack tests and by `pnpm cost`, which prices the recorded resources.
 */
export * from "./pulumi-mocks.js";
export * from "./stack-config.js";
