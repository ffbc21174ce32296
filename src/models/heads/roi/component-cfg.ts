import { z } from 'zod';

/** A nested component config (`type` plus its own options, checked when that component is built). */
export const componentCfg = z.object({ type: z.string() }).passthrough();
