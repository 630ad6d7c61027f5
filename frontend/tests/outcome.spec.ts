import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { MigrationDetail } from '../src/api'
import StepsTab from '../src/components/details/StepsTab.vue'
import { row } from './fixtures'

const broken =
  'wp_options option_id=6 option_value: serialized value was already broken on the source; copied unchanged (it still holds http://old.test)'

function detail(over: Partial<MigrationDetail>): MigrationDetail {
  return {
    ...row({ status: 'successful', tab: 'successful' }),
    steps: [],
    logs: [],
    files: [],
    totalMs: 0,
    checks: [],
    warnings: [],
    ...over,
  } as unknown as MigrationDetail
}

describe('Validate outcome in the Steps tab', () => {
  it('lists the checks and names each warning of a successful migration', () => {
    const w = mount(StepsTab, {
      props: {
        detail: detail({
          checks: [
            { name: 'old_url_left', ok: true, message: 'No value links to the old URL any more.' },
            { name: 'site_url', ok: false, message: 'The site URL was not updated.' },
          ],
          warnings: [broken],
        }),
      },
    })
    const checks = w.findAll('[data-test="validation-check"]')
    expect(checks).toHaveLength(2)
    expect(checks[1].classes()).toContain('check-bad')
    const warns = w.findAll('[data-test="validation-warning"]')
    expect(warns.map((x) => x.text())).toEqual([broken])
  })

  it('shows nothing for a migration that has not been validated', () => {
    const w = mount(StepsTab, { props: { detail: detail({}) } })
    expect(w.find('[data-test="validation"]').exists()).toBe(false)
  })
})
