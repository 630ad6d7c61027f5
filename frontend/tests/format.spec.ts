import { describe, expect, it } from 'vitest'
import { formatBytes } from '../src/lib/format'

describe('formatBytes', () => {
  it('rounds bytes, and shows one decimal above', () => {
    expect(formatBytes(38.919140989433664)).toBe('39 B')
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(-1)).toBe('—')
  })
})
