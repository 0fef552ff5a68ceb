/**
 * src/index.ts calls lib/'s flows through the types of src/flows.ts, which the engine's scan
 * reads instead of lib/ (see there). This file proves lib/flows/index.ts against them: it is
 * compiled by the type-check of `npm test` (`tsc --noEmit -p .`) and fails it when a flow is
 * missing, takes an argument src/ does not pass, ignores one src/ passes, or answers with
 * another type. flows-loading.test.ts checks that flows() returns lib/flows/index.ts itself.
 */
import type * as lib from "../../lib/flows/index.js";
import type { Flows } from "../../src/flows.js";

/** True when A is assignable to B. */
type Assignable<A, B> = [A] extends [B] ? true : false;

/** Keys src/ passes that lib/'s parameter does not name: optional ones pass assignability. */
type UnknownKeys<Ours, Theirs> = Exclude<keyof Ours, keyof Theirs>;

/** The keys src/ passes to one flow, over all its parameters, that lib/ does not know. */
type UnknownParameterKeys<Ours, Theirs> = Ours extends (...args: infer OurArgs) => unknown
  ? Theirs extends (...args: infer TheirArgs) => unknown
    ? {
        [I in keyof OurArgs & `${number}`]: I extends keyof TheirArgs
          ? UnknownKeys<OurArgs[I], TheirArgs[I]>
          : `parameter ${I} is missing`;
      }[keyof OurArgs & `${number}`]
    : "not a function"
  : never;

/** lib/ implements each flow as src/ calls it: it takes what src/ passes and answers as typed. */
export const implementsFlows: { [Name in keyof Flows]: true } = {} as {
  [Name in keyof Flows]: Assignable<(typeof lib)[Name], Flows[Name]>;
};

/** Every key src/ passes is one lib/ reads: none is silently dropped by a renamed option. */
export const knowsEveryOption: { [Name in keyof Flows]: never } = {} as {
  [Name in keyof Flows]: UnknownParameterKeys<Flows[Name], (typeof lib)[Name]>;
};

/** lib/ exports no flow that src/ cannot reach. */
export const noUnreachableFlow: Assignable<Exclude<keyof typeof lib, keyof Flows>, never> = true;
