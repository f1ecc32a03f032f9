// `node --import ./resolve-log.mjs …`: logs every module the process resolves (see resolve-log-hooks.mjs).
import { register } from "node:module";

register("./resolve-log-hooks.mjs", import.meta.url);
