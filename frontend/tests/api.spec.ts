import { describe, expect, it } from 'vitest'
import { ApiError, toApiError } from '../src/api'

describe('toApiError', () => {
  it('reads the JSON the Go error formatter sends inside an Error', () => {
    const raw = new Error(
      JSON.stringify({
        code: 'invalid_input',
        message: 'Check the form',
        fields: { domain: 'Bad' },
      }),
    )
    const e = toApiError(raw)
    expect(e).toBeInstanceOf(ApiError)
    expect(e.code).toBe('invalid_input')
    expect(e.message).toBe('Check the form')
    expect(e.fields).toEqual({ domain: 'Bad' })
  })

  it('accepts an already parsed object and unknown codes become internal', () => {
    expect(toApiError({ code: 'not_allowed', message: 'No' }).code).toBe('not_allowed')
    expect(toApiError({ code: 'weird', message: 'x' }).code).toBe('internal')
  })

  it('keeps plain runtime messages such as timeouts', () => {
    const e = toApiError(new Error('Call to main.App.GetMigration timed out'))
    expect(e.code).toBe('internal')
    expect(e.message).toMatch(/timed out/)
    expect(e.fields).toEqual({})
  })
})
