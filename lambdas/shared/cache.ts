/** How long a secret stays cached in memory (docs/contracts.md: 5 minutes). */
export const SECRET_CACHE_SECONDS = 300;
