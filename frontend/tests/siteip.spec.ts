import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { nextTick, reactive } from 'vue'
import type * as api from '../src/api'
import EndpointFields from '../src/components/EndpointFields.vue'
import EndpointDetails from '../src/components/details/EndpointDetails.vue'
import { accessLabel, blankEndpoint, endpointInput, usesSite } from '../src/lib/endpoint'

let pinia: ReturnType<typeof createPinia>
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
})

function fields(
  side: 'source' | 'destination',
  model: ReturnType<typeof blankEndpoint>,
  errors = {},
) {
  return mount(EndpointFields, {
    props: { side, model, errors, protocolFixed: side === 'source' },
    global: { plugins: [pinia] },
  })
}

describe("The site's IP address in the form", () => {
  it('is offered wherever Ferry may talk to the site, and only there', () => {
    const ftp = blankEndpoint('ftp', true)
    ftp.db.access = 'direct'
    // An FTP source's small files come through the site whatever the database route.
    expect(usesSite('source', ftp)).toBe(true)
    expect(usesSite('destination', ftp)).toBe(false)
    const sftp = blankEndpoint('sftp', true)
    expect(usesSite('source', sftp)).toBe(true) // Automatic may end at the site
    sftp.db.access = 'ssh-command'
    expect(usesSite('source', sftp)).toBe(false)
    sftp.db.access = 'php'
    expect(usesSite('destination', sftp)).toBe(true)
    expect(usesSite('source', blankEndpoint('local', false))).toBe(false)
  })

  it('shows the field, sends what is typed trimmed, and keeps a typed value in sight', async () => {
    const model = reactive(blankEndpoint('sftp', false))
    const w = fields('destination', model)
    const input = () => w.find('input[name="destination.db.siteIp"]')
    expect(input().exists()).toBe(true)
    await input().setValue(' 203.0.113.5 ')
    expect(model.db.siteIp).toBe(' 203.0.113.5 ')
    expect(endpointInput(model).db.siteIp).toBe('203.0.113.5')
    model.db.access = 'direct'
    await nextTick()
    expect(input().exists()).toBe(true) // typed: never hidden with its value still sent
    model.db.siteIp = ''
    await nextTick()
    expect(input().exists()).toBe(false)
  })

  it('shows the backend refusal under the field', () => {
    const model = reactive(blankEndpoint('ftp', true))
    model.db.siteIp = 'old.example.net'
    const w = fields('source', model, {
      'source.db.siteIp':
        "Enter an IPv4 or IPv6 address, with :port when the site is on another port than its URL's, or leave it empty.",
    })
    expect(w.find('[data-field="source.db.siteIp"]').text()).toContain(
      'Enter an IPv4 or IPv6 address',
    )
  })

  it('is never sent for a local folder', () => {
    const local = blankEndpoint('local', false)
    local.db.siteIp = '203.0.113.5'
    expect(endpointInput(local).db.siteIp).toBe('')
  })
})

describe('Details: database access', () => {
  function detail(access: string | undefined, siteIp?: string): api.MigrationDetail {
    const ep = {
      protocol: 'ftp',
      host: 'old.example.net',
      port: 21,
      user: 'jane',
      password: '',
      hasPassword: true,
      hasPrivateKey: false,
      path: '/public_html',
      hostKey: '',
      certFingerprint: '',
      db: {
        host: 'localhost',
        port: 3306,
        user: 'wp',
        password: '',
        hasPassword: true,
        name: 'wp',
        sshTunnel: false,
        fromWpConfig: false,
        access,
        siteIp,
      },
    }
    return {
      method: 'ftp',
      oldUrl: 'http://old.test',
      newUrl: 'https://new.test',
      source: ep,
      destination: ep,
    } as unknown as api.MigrationDetail
  }

  it('names the route and the address the site is reached at', () => {
    const w = mount(EndpointDetails, {
      props: { side: 'source', detail: detail('php', '203.0.113.5:8080') },
    })
    expect(w.find('[data-test="source-detail-access"]').text()).toBe('Through the site (PHP)')
    expect(w.find('[data-test="source-detail-siteip"]').text()).toBe('203.0.113.5:8080')
    const a = mount(EndpointDetails, { props: { side: 'source', detail: detail(undefined) } })
    expect(a.find('[data-test="source-detail-access"]').text()).toBe('Automatic')
    expect(a.find('[data-test="source-detail-siteip"]').exists()).toBe(false)
    expect(accessLabel('ssh-command')).toBe('SSH command')
  })
})
