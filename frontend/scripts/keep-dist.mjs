// Vite empties dist/ on every build; the Go binary embeds frontend/dist, so a fresh clone
// must find the folder. Re-create the committed placeholder after each build.
import { writeFileSync } from 'node:fs'

writeFileSync(new URL('../dist/.gitkeep', import.meta.url), '')
