/** The relay's handle rule as the onboarding screens check it before asking the relay (spec/relay.md). */

/** 3 to 32 letters, digits, dots, dashes, underscores. */
export const HANDLE_PATTERN = /^[a-z0-9._-]{3,32}$/i;

/** What people are told when a handle breaks the rule. */
export const HANDLE_RULE = "Handles use 3 to 32 letters, digits, dots, dashes or underscores.";
