/*! hedgerow.js: Hedgerow's browser SDK. Plain JavaScript, no build step.
 * window.hedgerow has posthog-js's method names and meanings; docs/browser-sdk.md has every
 * option, what autocapture sends and the privacy rules. */
;(function (window, document) {
  'use strict'
  if (!window || !document || window.hedgerow && window.hedgerow.__hedgerow) return

  const VERSION = '0.1.0'
  const LIB = 'hedgerow-js'
  const TAGS = ['a', 'button', 'form', 'input', 'select', 'textarea', 'label']
  const CAMPAIGN = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term',
    'gclid', 'gad_source', 'gclsrc', 'dclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'twclid',
    'li_fat_id', 'mc_cid', 'igshid', 'ttclid', 'rdt_cid', 'epik', 'qclid', 'sccid', 'irclid', '_kx']
  // Card numbers (Visa, Mastercard, Discover, Amex, Diners, JCB) and US social security numbers.
  const CARD = /^(?:4\d{12}(?:\d{3})?|5[1-5]\d{14}|6(?:011|5\d\d)\d{12}|3[47]\d{13}|3(?:0[0-5]|[68]\d)\d{11}|(?:2131|1800|35\d{3})\d{11})$/
  const SSN = /^\d{3}-?\d{2}-?\d{4}$/
  const SENSITIVE_NAME = /^cc|cardnum|ccnum|creditcard|csc|cvc|cvv|exp|pass|pwd|routing|seccode|securitycode|securitynum|socialsec|socsec|ssn/i
  const COOKIE_KEYS = ['distinct_id', '$device_id', '$user_state', '$sesid', '$epp', '$initial_person_info']
  const HIDDEN_KEYS = ['distinct_id', '$user_state', '$sesid', '$epp', '$initial_person_info', '__alias']
  const MAX_BATCH = 100
  const MAX_QUEUE = 1000
  const DAY = 864e5
  // Cookieless mode (posthog-js's wire): this distinct_id until identify, and the flag that
  // asks the server to derive the visitor's ids from a daily-salted hash.
  const COOKIELESS_ID = '$posthog_cookieless'
  const COOKIELESS_FLAG = '$cookieless_mode'

  const script = document.currentScript
  const defaults = () => ({
    api_host: script && script.src ? new URL(script.src).origin : location.origin,
    autocapture: true,
    rageclick: true,
    capture_pageview: 'history_change',
    capture_pageleave: 'if_capture_pageview',
    persistence: 'localStorage+cookie',
    persistence_name: '',
    cookie_expiration: 365,
    mask_all_text: false,
    mask_all_element_attributes: false,
    person_profiles: 'identified_only',
    property_denylist: [],
    session_idle_timeout_seconds: 1800,
    flush_interval_ms: 3000,
    flush_at: 50,
    retry_delay_ms: 3000,
    disable_compression: false,
    opt_out_capturing_by_default: false,
    cookieless_mode: undefined,
    before_send: null,
    loaded: null,
    debug: false,
  })

  // -- small helpers -----------------------------------------------------------------------

  const warn = (...args) => window.console && console.warn('[hedgerow]', ...args)
  const isObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x)
  const trim = (s) => String(s).trim()
  const limit = (n, s) => (s.length > n ? s.slice(0, n) + '...' : s)

  function uuidv7() {
    const b = new Uint8Array(16)
    crypto.getRandomValues(b)
    let ms = Date.now()
    for (let i = 5; i >= 0; i--) {
      b[i] = ms % 256
      ms = Math.floor(ms / 256)
    }
    b[6] = 0x70 | (b[6] & 0x0f)
    b[8] = 0x80 | (b[8] & 0x3f)
    const h = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join('')
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  }

  const insertId = () => Math.random().toString(36).slice(2, 10).padEnd(8, '0') +
    Math.random().toString(36).slice(2, 10).padEnd(8, '0')

  function hostOf(url) {
    try {
      return new URL(url, location.href).host
    } catch (e) {
      return ''
    }
  }

  /** False for values that look like a card number or a social security number. */
  function safeValue(value) {
    if (value === null || value === undefined) return false
    if (typeof value === 'string') {
      const v = value.trim()
      if (CARD.test(v.replace(/[- ]/g, '')) || SSN.test(v)) return false
    }
    return true
  }

  // -- storage -----------------------------------------------------------------------------

  function probe(name) {
    try {
      const s = window[name]
      s.setItem('__hr_probe', '1')
      s.removeItem('__hr_probe')
      return s
    } catch (e) {
      return null
    }
  }
  const local = probe('localStorage')
  const session = probe('sessionStorage')

  function readJSON(storage, key) {
    try {
      const text = storage && storage.getItem(key)
      return text ? JSON.parse(text) : null
    } catch (e) {
      return null
    }
  }
  function writeJSON(storage, key, value) {
    try {
      if (!storage) return
      if (value === null) storage.removeItem(key)
      else storage.setItem(key, JSON.stringify(value))
    } catch (e) {
      // full or blocked storage: the value lives in memory for this page only
    }
  }
  function readCookie(name) {
    const prefix = name + '='
    for (const part of document.cookie.split(/;\s*/)) {
      if (part.startsWith(prefix)) {
        try {
          return JSON.parse(decodeURIComponent(part.slice(prefix.length)))
        } catch (e) {
          return null
        }
      }
    }
    return null
  }
  function writeCookie(name, value, days) {
    const expires = value ? new Date(Date.now() + days * DAY) : new Date(0)
    document.cookie = `${name}=${value ? encodeURIComponent(JSON.stringify(value)) : ''}` +
      `; expires=${expires.toUTCString()}; SameSite=Lax; path=/` +
      (location.protocol === 'https:' ? '; secure' : '')
  }

  /** Persistent properties (identity, session, super properties) in the configured storage. */
  class Persistence {
    constructor(name, config) {
      this.name = name
      this.days = config.cookie_expiration
      const mode = String(config.persistence).toLowerCase()
      const known = ['localstorage+cookie', 'localstorage', 'cookie', 'memory', 'sessionstorage']
      this.mode = known.includes(mode) ? mode : 'localstorage+cookie'
      if (this.mode.startsWith('localstorage') && !local) this.mode = 'cookie'
      if (this.mode === 'sessionstorage' && !session) this.mode = 'memory'
      this.props = this.load()
    }

    load() {
      const m = this.mode
      if (m === 'memory') return {}
      if (m === 'cookie') return readCookie(this.name) || {}
      if (m === 'sessionstorage') return readJSON(session, this.name) || {}
      const stored = readJSON(local, this.name) || {}
      return m === 'localstorage+cookie' ? { ...(readCookie(this.name) || {}), ...stored } : stored
    }

    save() {
      const m = this.mode
      if (m === 'memory') return
      if (m === 'cookie') return writeCookie(this.name, this.props, this.days)
      if (m === 'sessionstorage') return writeJSON(session, this.name, this.props)
      writeJSON(local, this.name, this.props)
      if (m === 'localstorage+cookie') {
        const small = {}
        for (const key of COOKIE_KEYS) if (key in this.props) small[key] = this.props[key]
        writeCookie(this.name, small, this.days)
      }
    }

    clear() {
      this.props = {}
      if (this.mode !== 'memory') {
        writeJSON(local, this.name, null)
        writeJSON(session, this.name, null)
        writeCookie(this.name, null, 0)
      }
    }

    register(props, once) {
      for (const key of Object.keys(props || {})) {
        if (!once || !(key in this.props)) this.props[key] = props[key]
      }
      this.save()
    }
  }

  // -- browser and device ------------------------------------------------------------------

  function detect(ua, vendor) {
    const has = (s) => ua.includes(s)
    const version = (re) => {
      const m = ua.match(re)
      return m ? parseFloat(m[1]) : null
    }
    let browser = 'Unknown'
    let v = null
    if (has('Edg/') || has('Edge/')) [browser, v] = ['Microsoft Edge', version(/Edge?\/(\d+(\.\d+)?)/)]
    else if (has('OPR/') || has('Opera')) [browser, v] = ['Opera', version(/(?:OPR|Opera)\/(\d+(\.\d+)?)/)]
    else if (has('SamsungBrowser/')) [browser, v] = ['Samsung Internet', version(/SamsungBrowser\/(\d+(\.\d+)?)/)]
    else if (has('FxiOS')) [browser, v] = ['Firefox iOS', version(/FxiOS\/(\d+(\.\d+)?)/)]
    else if (has('Firefox/')) [browser, v] = ['Firefox', version(/Firefox\/(\d+(\.\d+)?)/)]
    else if (has('CriOS')) [browser, v] = ['Chrome iOS', version(/CriOS\/(\d+(\.\d+)?)/)]
    else if (has('Chrome')) [browser, v] = ['Chrome', version(/Chrome\/(\d+(\.\d+)?)/)]
    else if (has('Android')) [browser, v] = ['Android Mobile', version(/Android (\d+(\.\d+)?)/)]
    else if (/Apple/.test(vendor || '') || has('Safari')) {
      browser = has('Mobile') ? 'Mobile Safari' : 'Safari'
      v = version(/Version\/(\d+(\.\d+)?)/)
    } else if (has('Trident/') || has('MSIE')) [browser, v] = ['Internet Explorer', version(/(?:rv:|MSIE )(\d+(\.\d+)?)/)]

    let os = ''
    let osVersion = ''
    let m
    if ((m = ua.match(/Windows NT ([\d.]+)/))) [os, osVersion] = ['Windows', m[1]]
    else if ((m = ua.match(/(?:iPhone|iPad|iPod).*? OS ([\d_]+)/))) [os, osVersion] = ['iOS', m[1].replace(/_/g, '.')]
    else if ((m = ua.match(/Android ([\d.]+)/))) [os, osVersion] = ['Android', m[1]]
    else if (has('CrOS')) os = 'Chrome OS'
    else if ((m = ua.match(/Mac OS X ([\d_.]+)/))) [os, osVersion] = ['Mac OS X', m[1].replace(/_/g, '.')]
    else if (has('Linux')) os = 'Linux'

    let device = ''
    if (has('iPad')) device = 'iPad'
    else if (has('iPhone')) device = 'iPhone'
    else if (has('Android')) device = 'Android'
    const tablet = device === 'iPad' || (device === 'Android' && !has('Mobile'))
    const mobile = !tablet && (device !== '' || /Mobi|Windows Phone/.test(ua))
    return {
      $browser: browser,
      $browser_version: v,
      $os: os,
      $os_version: osVersion,
      $device: device,
      $device_type: tablet ? 'Tablet' : mobile ? 'Mobile' : 'Desktop',
    }
  }

  function referrerProps() {
    const ref = document.referrer
    return { $referrer: ref || '$direct', $referring_domain: ref ? hostOf(ref) || '$direct' : '$direct' }
  }

  function campaignProps(href) {
    const params = new URL(href).searchParams
    const found = {}
    let any = false
    for (const key of CAMPAIGN) {
      found[key] = params.has(key) ? params.get(key) : null
      any = any || params.has(key)
    }
    return any ? found : null
  }

  // -- autocapture: which events, which elements, what is sent -------------------------------

  const tagOf = (el) => (el && el.tagName ? el.tagName.toLowerCase() : '')

  const splitClasses = (s) => (typeof s === 'string' && s.trim() ? s.trim().split(/\s+/) : [])

  function classNames(el) {
    const name = el.className
    return splitClasses(name && typeof name === 'object' ? name.baseVal || el.getAttribute('class') : name)
  }

  /** False when the element's text, href and values must not be read. */
  function captureAllowed(el) {
    for (let cur = el; cur && cur.parentNode && tagOf(cur) !== 'body'; cur = cur.parentNode) {
      const names = cur.nodeType === 1 ? classNames(cur) : []
      if (names.includes('ph-sensitive') || names.includes('ph-no-capture')) return false
    }
    if (classNames(el).includes('ph-include')) return true
    const type = typeof el.type === 'string' ? el.type.toLowerCase() : ''
    if (type === 'hidden' || type === 'password') return false
    const name = el.name || el.id || ''
    return !(typeof name === 'string' && SENSITIVE_NAME.test(name.replace(/[^a-zA-Z0-9]/g, '')))
  }

  /** Elements holding what a person typed or chose: only a few attributes, never text. */
  function isSensitive(el) {
    const tag = tagOf(el)
    return (tag === 'input' && !['button', 'checkbox', 'submit', 'reset'].includes(el.type)) ||
      tag === 'select' || tag === 'textarea' || el.getAttribute('contenteditable') === 'true'
  }

  function safeText(el) {
    let text = ''
    if (captureAllowed(el) && !isSensitive(el)) {
      for (const child of el.childNodes) {
        if (child.nodeType === 3 && child.textContent) {
          text += trim(child.textContent).split(/(\s+)/).filter(safeValue).join('')
            .replace(/[\r\n]/g, ' ').replace(/[ ]+/g, ' ').slice(0, 255)
        }
      }
    }
    return trim(text)
  }

  function spanText(el) {
    let text = ''
    for (const child of el.childNodes) {
      if (tagOf(child) === 'span') {
        text = `${text} ${safeText(child)}`.trim()
        if (child.childNodes.length) text = `${text} ${spanText(child)}`.trim()
      }
    }
    return text
  }

  /** A link's or a button's text: its own text nodes and those of nested spans. */
  function labelText(el) {
    const text = `${safeText(el)} ${spanText(el)}`.trim()
    return safeValue(text) ? text : ''
  }

  const elementText = (el) => (['a', 'button'].includes(tagOf(el)) ? labelText(el) : safeText(el))

  function pointer(el) {
    const style = window.getComputedStyle(el)
    return !!style && style.getPropertyValue('cursor') === 'pointer'
  }

  /** [target, parent, ..., body], crossing shadow roots; and whether an ancestor is useful. */
  function elementPath(target) {
    const list = [target]
    let useful = false
    let cur = target
    while (cur.parentNode && tagOf(cur) !== 'body' && list.length < 1000) {
      const parent = cur.parentNode
      if (parent.nodeType === 11 && parent.host) {
        list.push(parent.host)
        cur = parent.host
        continue
      }
      if (parent.nodeType !== 1) break
      if (TAGS.includes(tagOf(parent)) || pointer(parent)) useful = true
      list.push(parent)
      cur = parent
    }
    return { list, useful }
  }

  function matchesAny(el, selectors) {
    return selectors.some((s) => {
      try {
        return el.matches(s)
      } catch (e) {
        return false
      }
    })
  }

  /** posthog-js's rules for whether a DOM event on `target` becomes an `$autocapture`. */
  function shouldCapture(target, event, options) {
    if (!target || target.nodeType !== 1 || tagOf(target) === 'html') return null
    const href = location.href
    const test = (p) => (p instanceof RegExp ? p : new RegExp(p)).test(href)
    if (options.url_allowlist && !options.url_allowlist.some(test)) return null
    if (options.url_ignorelist && options.url_ignorelist.some(test)) return null
    if (options.dom_event_allowlist && !options.dom_event_allowlist.includes(event.type)) return null
    const { list, useful } = elementPath(target)
    if (options.element_allowlist && !list.some((el) => options.element_allowlist.includes(tagOf(el)))) return null
    const allow = options.css_selector_allowlist
    if (allow && !list.some((el) => matchesAny(el, allow))) return null
    const ignore = options.css_selector_ignorelist || ['.ph-no-autocapture', '[data-ph-no-autocapture]']
    if (list.some((el) => matchesAny(el, ignore))) return null
    if (event.type === 'click' && pointer(target)) return list
    const tag = tagOf(target)
    if (tag === 'form') return event.type === 'submit' ? list : null
    if (['input', 'select', 'textarea'].includes(tag)) return ['change', 'click'].includes(event.type) ? list : null
    if (event.type !== 'click') return null
    return useful || TAGS.includes(tag) || target.getAttribute('contenteditable') === 'true' ? list : null
  }

  function elementProps(el, config, ignored) {
    const tag = tagOf(el)
    const props = { tag_name: tag }
    if (TAGS.includes(tag) && !config.mask_all_text) props.$el_text = limit(1024, elementText(el))
    const masked = config.mask_all_element_attributes
    const classes = classNames(el)
    if (classes.length && !masked && !ignored.includes('class')) props.classes = classes
    // Stricter than posthog-js: an element whose text may not be read keeps only these four.
    const sensitive = isSensitive(el) || !captureAllowed(el)
    for (const attr of el.attributes) {
      const name = attr.name
      if (sensitive && !['name', 'id', 'class', 'aria-label'].includes(name)) continue
      if (masked || ignored.includes(name) || /^_ng(content|host)/.test(name) || !safeValue(attr.value)) continue
      const value = name === 'class' ? splitClasses(attr.value).join(' ') : attr.value
      props['attr__' + name] = limit(1024, value)
    }
    let nthChild = 1
    let nthOfType = 1
    for (let cur = el.previousElementSibling; cur; cur = cur.previousElementSibling) {
      nthChild++
      if (cur.tagName === el.tagName) nthOfType++
    }
    props.nth_child = nthChild
    props.nth_of_type = nthOfType
    return props
  }

  const escapeQuotes = (s) => String(s).replace(/\\"|"/g, '\\"')

  /** PostHog's `$elements_chain` string: `tag.class:key="value"...` joined by `;`. */
  function elementsChain(elements) {
    return elements.map((el) => {
      let out = el.tag_name
      const cls = el.attr__class
      if (cls) {
        const names = (Array.isArray(cls) ? cls.slice() : splitClasses(cls)).sort()
        for (const name of names) out += '.' + String(name).replace(/"/g, '')
      }
      const attrs = {}
      const text = el.$el_text ? String(el.$el_text).slice(0, 400) : ''
      if (text) attrs.text = text
      attrs['nth-child'] = el.nth_child ?? 0
      attrs['nth-of-type'] = el.nth_of_type ?? 0
      if (el.attr__href) attrs.href = String(el.attr__href).slice(0, 2048)
      if (el.attr__id) attrs.attr_id = el.attr__id
      for (const key of Object.keys(el)) if (key.startsWith('attr__')) attrs[key] = el[key]
      return out + ':' + Object.keys(attrs).sort()
        .map((key) => `${escapeQuotes(key)}="${escapeQuotes(attrs[key])}"`).join('')
    }).join(';')
  }

  /** The `$autocapture` properties for an event on `target`, or null when it must not be sent. */
  function autocaptureProps(target, list, event, config) {
    const options = isObject(config.autocapture) ? config.autocapture : {}
    const ignored = options.element_attribute_ignorelist || []
    const elements = []
    const augment = {}
    let href = null
    for (const el of list) {
      const allowed = captureAllowed(el)
      if (classNames(el).includes('ph-no-capture')) return null
      if (tagOf(el) === 'a' && href === null) {
        const value = el.getAttribute('href')
        href = allowed && value && safeValue(value) ? value : ''
      }
      elements.push(elementProps(el, config, ignored))
      if (!allowed) continue
      for (const attr of el.attributes) {
        const key = attr.name.startsWith('data-ph-capture-attribute-') && attr.name.slice(26)
        if (key && !(key in augment) && safeValue(attr.value)) augment[key] = attr.value
      }
    }
    if (!config.mask_all_text) elements[0].$el_text = limit(1024, elementText(target))
    const props = { $event_type: event.type, $ce_version: 1 }
    if (href && !config.mask_all_element_attributes && !ignored.includes('href')) {
      elements[0].attr__href = href
      const host = hostOf(href)
      if (event.type === 'click' && host && host !== location.host) props.$external_click_url = href
    }
    props.$elements = elements
    props.$elements_chain = elementsChain(elements)
    if (elements[0].$el_text) props.$el_text = elements[0].$el_text
    return { ...augment, ...props }
  }

  // -- transport ----------------------------------------------------------------------------

  async function gzip(text) {
    const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))
    return new Blob([await new Response(stream).arrayBuffer()], { type: 'text/plain' })
  }

  // -- the SDK ------------------------------------------------------------------------------

  class Hedgerow {
    constructor() {
      this.__hedgerow = true
      this.__loaded = false
      this.config = defaults()
      this.queue = []
      this._inflight = null
      this._timer = null
      this._failures = 0
      this._clicks = []
      this._pageview = null
    }

    init(token, config) {
      if (this.__loaded) return this
      if (!token || typeof token !== 'string') {
        warn('init needs the project token, e.g. hedgerow.init("phc_...")')
        return this
      }
      this.token = token
      this.config = { ...defaults(), ...(config || {}) }
      const c = this.config
      if (c.request_queue_config && c.request_queue_config.flush_interval_ms) {
        c.flush_interval_ms = c.request_queue_config.flush_interval_ms
      }
      c.api_host = String(c.api_host).replace(/\/+$/, '')
      this._name = 'hr_' + (c.persistence_name || token).replace(/\+/g, 'PL').replace(/\//g, 'SL').replace(/=/g, 'EQ')
      this.persistence = this._storing() ? new Persistence(this._name, c) : this._cookielessPersistence()
      this._sessionProps = (this._durable() && readJSON(session, this._name + '_session')) || {}
      this._device = detect(navigator.userAgent, navigator.vendor)
      try {
        this._device.$timezone = Intl.DateTimeFormat().resolvedOptions().timeZone
      } catch (e) {
        // no Intl: no $timezone
      }
      this.__loaded = true

      const p = this.persistence.props
      if (!p.distinct_id) this._newIdentity(uuidv7())
      else if (!p.$device_id && this._storing()) this.persistence.register({ $device_id: p.distinct_id })
      this.persistence.register({ $initial_person_info: { r: document.referrer || '$direct', u: location.href.slice(0, 1000) } }, true)
      this._registerSession(referrerProps(), true)
      const campaign = campaignProps(location.href)
      if (campaign) this._registerSession(campaign)

      this._restoreQueue()
      this._listen()
      if (c.capture_pageview && this._capturing()) {
        this.capture('$pageview', { title: document.title })
        this._send()
      }
      if (typeof c.loaded === 'function') c.loaded(this)
      return this
    }

    // -- capture --------------------------------------------------------------------------

    capture(event, properties, options) {
      if (!this.__loaded || !this._capturing()) return undefined
      if (!event || typeof event !== 'string') {
        warn('capture needs an event name, e.g. hedgerow.capture("Plan purchased", {...})')
        return undefined
      }
      const opts = options || {}
      const now = new Date()
      const uuid = uuidv7()
      const processing = this._personProcessing()
      const data = {
        uuid,
        event,
        properties: this._properties(event, properties || {}, uuid, now, processing),
        timestamp: now.toISOString(),
      }
      if (processing) {
        const set = opts.$set || (properties && properties.$set)
        if (set) data.$set = set
        if (!this._setOnceSent || event === '$identify') {
          data.$set_once = { ...this._initialProps(), ...(opts.$set_once || {}) }
          this._setOnceSent = true
        } else if (opts.$set_once) data.$set_once = opts.$set_once
      }
      let result = data
      const hooks = [].concat(this.config.before_send || [])
      for (const hook of hooks) {
        if (typeof hook === 'function') result = result && hook(result)
      }
      if (!result) return undefined
      this._enqueue(result)
      return result
    }

    _properties(event, properties, uuid, now, processing) {
      const p = this.persistence.props
      const cookieless = this._cookieless()
      const sessionId = cookieless ? undefined : this._session(now.getTime())
      const props = {
        ...this._device,
        $current_url: location.href,
        $host: location.host,
        $pathname: location.pathname,
        $raw_user_agent: limit(1000, navigator.userAgent),
        $browser_language: navigator.language,
        $screen_height: screen.height,
        $screen_width: screen.width,
        $viewport_height: window.innerHeight,
        $viewport_width: window.innerWidth,
        $lib: LIB,
        $lib_version: VERSION,
        $insert_id: insertId(),
        $time: now.getTime() / 1000,
      }
      for (const key of Object.keys(props)) if (props[key] === '' || props[key] === null) delete props[key]
      for (const key of Object.keys(p)) if (!HIDDEN_KEYS.includes(key)) props[key] = p[key]
      Object.assign(props, this._sessionProps)
      delete props.$window_id
      if (event === '$pageview' || event === '$pageleave') Object.assign(props, this._previousPage(now))
      if (event === '$pageview') this._pageview = { id: uuid, path: location.pathname, at: now.getTime() }
      props.distinct_id = p.distinct_id
      Object.assign(props, properties, {
        token: this.token,
        $session_id: sessionId,
        $window_id: this._sessionProps.$window_id,
        $is_identified: p.$user_state === 'identified',
        $process_person_profile: processing,
      })
      if (this._pageview) props.$pageview_id = this._pageview.id
      if (cookieless) {
        // The server derives the visitor's ids: no device, session or window id is sent.
        for (const key of ['$device_id', '$session_id', '$window_id']) delete props[key]
        props[COOKIELESS_FLAG] = true
      }
      for (const key of this.config.property_denylist || []) delete props[key]
      return props
    }

    _previousPage(now) {
      const prev = this._pageview
      if (!prev) return {}
      return {
        $prev_pageview_id: prev.id,
        $prev_pageview_pathname: prev.path,
        $prev_pageview_duration: (now.getTime() - prev.at) / 1000,
      }
    }

    /** `$session_id`: a UUIDv7 kept until 30 idle minutes (configurable) or 24 hours pass. */
    _session(now) {
      const [last, id, start] = this.persistence.props.$sesid || []
      let sessionId = id
      let started = start
      const idle = this.config.session_idle_timeout_seconds * 1000
      if (!id || now - last > idle || now - start > DAY) {
        sessionId = uuidv7()
        started = now
        this._registerSession({ $window_id: uuidv7() })
      }
      if (!this._sessionProps.$window_id) this._registerSession({ $window_id: uuidv7() })
      this.persistence.register({ $sesid: [now, sessionId, started] })
      return sessionId
    }

    _durable() {
      return this.persistence.mode !== 'memory'
    }

    _registerSession(props, once) {
      for (const key of Object.keys(props)) {
        if (!once || !(key in this._sessionProps)) this._sessionProps[key] = props[key]
      }
      if (this._durable()) writeJSON(session, this._name + '_session', this._sessionProps)
    }

    _initialProps() {
      const info = this.persistence.props.$initial_person_info || {}
      const out = {}
      const r = info.r || '$direct'
      out.$initial_referrer = r
      out.$initial_referring_domain = r === '$direct' ? '$direct' : hostOf(r) || '$direct'
      if (info.u) {
        const url = new URL(info.u)
        out.$initial_current_url = info.u
        out.$initial_host = url.host
        out.$initial_pathname = url.pathname
        const campaign = campaignProps(info.u) || {}
        for (const key of Object.keys(campaign)) if (campaign[key] !== null) out['$initial_' + key] = campaign[key]
      }
      return out
    }

    _personProcessing() {
      const mode = this.config.person_profiles
      if (mode === 'never') return false
      if (mode === 'always') return true
      const p = this.persistence.props
      return !!(p.$epp || p.$user_state === 'identified' || p.__alias)
    }

    // -- identity -------------------------------------------------------------------------

    _newIdentity(id, keepDevice) {
      const device = keepDevice && this.persistence.props.$device_id
      this.persistence.register({ distinct_id: id, $device_id: device || id, $user_state: 'anonymous' })
    }

    identify(newId, setProps, setOnceProps) {
      if (!this.__loaded) return
      if (typeof newId === 'number') newId = String(newId)
      if (!newId || typeof newId !== 'string' || ['distinct_id', 'distinctid', 'undefined', 'null', '[object object]'].includes(newId.trim().toLowerCase())) {
        warn('identify needs a real id for the user, e.g. hedgerow.identify("user_123")')
        return
      }
      if (this.config.person_profiles === 'never') {
        warn('identify does nothing with person_profiles: "never"')
        return
      }
      const p = this.persistence.props
      const previous = p.distinct_id
      this.persistence.register({ $epp: true })
      if (newId !== previous && newId !== p.__alias) {
        const anonymous = p.$user_state !== 'identified'
        delete p.__alias
        this.persistence.register({ distinct_id: newId, $user_state: 'identified' })
        if (anonymous) {
          this.capture('$identify', { $anon_distinct_id: previous }, { $set: setProps, $set_once: setOnceProps })
          return
        }
      } else if (p.$user_state !== 'identified') {
        this.persistence.register({ $user_state: 'identified' })
      }
      if (setProps || setOnceProps) this.setPersonProperties(setProps, setOnceProps)
    }

    setPersonProperties(setProps, setOnceProps) {
      if (this.config.person_profiles === 'never') return
      this.persistence.register({ $epp: true })
      this.capture('$set', {}, { $set: setProps || {}, $set_once: setOnceProps })
    }

    alias(alias, original) {
      if (!this.__loaded) return undefined
      const current = this.get_distinct_id()
      if (alias === current) return this.identify(alias)
      this.persistence.register({ __alias: alias, $epp: true })
      return this.capture('$create_alias', { alias, distinct_id: original || current })
    }

    reset(resetDeviceId) {
      if (!this.__loaded) return
      if (this._cookieless()) {
        this.persistence = this._cookielessPersistence()
        this._sessionProps = {}
        this._setOnceSent = false
        return
      }
      const device = this.persistence.props.$device_id
      this.persistence.clear()
      if (!resetDeviceId && device) this.persistence.props.$device_id = device
      this._sessionProps = {}
      this._registerSession(referrerProps())
      this._setOnceSent = false
      this._newIdentity(uuidv7(), !resetDeviceId)
      this.persistence.register({ $initial_person_info: { r: document.referrer || '$direct', u: location.href.slice(0, 1000) } })
    }

    get_distinct_id() {
      return this.__loaded ? this.persistence.props.distinct_id : undefined
    }

    get_session_id() {
      return this.__loaded ? this._session(Date.now()) : undefined
    }

    register(props, days) {
      if (this.__loaded && isObject(props)) this.persistence.register(props)
    }

    register_once(props, defaultValue) {
      if (!this.__loaded || !isObject(props)) return
      const p = this.persistence.props
      for (const key of Object.keys(props)) {
        if (!(key in p) || (defaultValue !== undefined && p[key] === defaultValue)) p[key] = props[key]
      }
      this.persistence.save()
    }

    unregister(key) {
      if (!this.__loaded) return
      delete this.persistence.props[key]
      this.persistence.save()
    }

    // -- consent and config ---------------------------------------------------------------

    _consentKey() {
      return '__hr_opt_in_out_' + this.token
    }

    has_opted_out_capturing() {
      const mode = this.config.cookieless_mode
      if (mode === 'always') return true
      if (this._storedConsent() === null && mode === 'on_reject') return true // not decided yet
      return this._rejected()
    }

    /** '1', '0' or null (no decision yet), as stored by opt_in/opt_out_capturing. */
    _storedConsent() {
      if (this._consent === undefined) this._consent = local ? local.getItem(this._consentKey()) : null
      return this._consent
    }

    _rejected() {
      const stored = this._storedConsent()
      return stored === '0' || (stored === null && !!this.config.opt_out_capturing_by_default)
    }

    /** Cookieless (docs/browser-sdk.md): always, or on_reject once the visitor said no. */
    _cookieless() {
      const mode = this.config.cookieless_mode
      return mode === 'always' || (mode === 'on_reject' && this._rejected())
    }

    _capturing() {
      return this._cookieless() || !this.has_opted_out_capturing()
    }

    /** Whether the identity may be kept in cookies and storage: not in cookieless mode, nor
     * with `on_reject` before the visitor has said yes (as posthog-js). */
    _storing() {
      const mode = this.config.cookieless_mode
      return mode !== 'always' && !(mode === 'on_reject' && this.has_opted_out_capturing())
    }

    /** Identity in memory only: nothing is written to cookies or storage. */
    _cookielessPersistence() {
      const persistence = new Persistence(this._name, { ...this.config, persistence: 'memory' })
      persistence.register({ distinct_id: COOKIELESS_ID, $user_state: 'anonymous' })
      return persistence
    }

    has_opted_in_capturing() {
      return !this.has_opted_out_capturing()
    }

    opt_out_capturing() {
      if (this.config.cookieless_mode === 'always') return warn('consent does not apply with cookieless_mode "always"')
      this.queue = []
      this._saveQueue()
      this._consent = '0'
      if (local) local.setItem(this._consentKey(), '0')
      if (this.__loaded && this._cookieless()) {
        this.persistence.clear() // nothing of the visitor stays in the browser
        if (session) writeJSON(session, this._name + '_session', null)
        this._sessionProps = {}
        this.persistence = this._cookielessPersistence()
      }
    }

    opt_in_capturing(options) {
      if (this.config.cookieless_mode === 'always') return warn('consent does not apply with cookieless_mode "always"')
      const wasInMemory = this.__loaded && !this._storing()
      this._consent = '1'
      if (local) local.setItem(this._consentKey(), '1')
      if (wasInMemory) {
        // A new visitor from here on: nothing links the cookieless events to this identity.
        this.persistence = new Persistence(this._name, this.config)
        this._newIdentity(uuidv7())
        this.persistence.register({ $initial_person_info: { r: document.referrer || '$direct', u: location.href.slice(0, 1000) } }, true)
      }
      const name = (options && options.capture_event_name) || '$opt_in'
      this.capture(name, (options && options.capture_properties) || {})
      if (this.config.capture_pageview) this.capture('$pageview', { title: document.title })
      this._send()
    }

    set_config(config) {
      if (!isObject(config)) return
      Object.assign(this.config, config)
      if (this.__loaded && 'persistence' in config && this._storing()) {
        const props = this.persistence.props
        this.persistence.clear()
        this.persistence = new Persistence(this._name, this.config)
        this.persistence.register(props)
      }
    }

    // -- listeners: autocapture, pages, unload ----------------------------------------------

    _listen() {
      const on = (target, type, fn, capture) => target.addEventListener(type, fn, capture)
      for (const type of ['click', 'change', 'submit']) on(document, type, (e) => this._onDomEvent(e), true)
      on(window, 'pagehide', () => this._onPageHide())
      on(window, 'online', () => this._send(true))
      const history = window.history
      for (const method of ['pushState', 'replaceState']) {
        const original = history[method]
        if (typeof original !== 'function') continue
        const self = this
        history[method] = function (...args) {
          const result = original.apply(this, args)
          self._onHistory(method)
          return result
        }
      }
      on(window, 'popstate', () => this._onHistory('popstate'))
    }

    _onHistory(type) {
      if (this.config.capture_pageview !== 'history_change') return
      if (this._pageview && this._pageview.path === location.pathname) return
      this.capture('$pageview', { title: document.title, navigation_type: type })
    }

    _onPageHide() {
      const c = this.config
      const leave = c.capture_pageleave === true || (c.capture_pageleave === 'if_capture_pageview' && c.capture_pageview)
      if (leave && this._pageview) this.capture('$pageleave')
      this._beacon()
    }

    _onDomEvent(e) {
      const c = this.config
      if (!c.autocapture || !this.__loaded || !this._capturing()) return
      let target = e.target
      if (target && target.shadowRoot && e.composedPath) target = e.composedPath()[0] || target
      if (target && target.nodeType === 3) target = target.parentNode
      if (!target || target.nodeType !== 1) return
      if (e.type === 'click' && c.rageclick && this._isRageClick(e) && !target.closest('.ph-no-rageclick')) {
        this._autocapture('$rageclick', target, e)
      }
      this._autocapture('$autocapture', target, e)
    }

    _autocapture(name, target, e) {
      const options = isObject(this.config.autocapture) ? this.config.autocapture : {}
      const list = shouldCapture(target, e, options)
      const props = list && autocaptureProps(target, list, e, this.config)
      if (props) this.capture(name, props)
    }

    _isRageClick(e) {
      const last = this._clicks[this._clicks.length - 1]
      const click = { x: e.clientX, y: e.clientY, t: e.timeStamp }
      if (last && Math.abs(click.x - last.x) + Math.abs(click.y - last.y) < 30 && click.t - last.t < 1000) {
        this._clicks.push(click)
        return this._clicks.length === 3
      }
      this._clicks = [click]
      return false
    }

    // -- queue and sending ----------------------------------------------------------------

    _queueKey() {
      return this._name + '_queue'
    }

    _restoreQueue() {
      if (!this._durable()) return
      const saved = readJSON(session, this._queueKey())
      if (Array.isArray(saved) && saved.length) {
        this.queue = saved.concat(this.queue)
        this._schedule(0)
      }
    }

    /** Keep the queue for the next page of this tab: at once, or within a second. */
    _saveQueue(later) {
      clearTimeout(this._saveTimer)
      this._saveTimer = null
      if (later) {
        this._saveTimer = setTimeout(() => this._saveQueue(), 1000)
        return
      }
      if (this._durable()) writeJSON(session, this._queueKey(), this.queue.length ? this.queue : null)
    }

    _enqueue(data) {
      this.queue.push(data)
      if (this.queue.length > MAX_QUEUE) this.queue.splice(0, this.queue.length - MAX_QUEUE)
      if (!this._saveTimer) this._saveQueue(true)
      if (this._failures) return
      if (this.queue.length >= this.config.flush_at) this._send()
      else if (!this._timer) this._schedule(this.config.flush_interval_ms)
    }

    _schedule(delay) {
      clearTimeout(this._timer)
      this._timer = setTimeout(() => {
        this._timer = null
        this._send(true)
      }, delay)
    }

    _body(batch) {
      return JSON.stringify({ api_key: this.token, batch, sent_at: new Date().toISOString() })
    }

    /** Send the oldest events; keep them until the server answered 200 (or refused them). */
    async _send(force) {
      if (this._inflight || !this.queue.length || (this._failures && !force)) return
      const batch = this.queue.slice(0, MAX_BATCH)
      this._inflight = batch
      let status = 0
      try {
        const text = this._body(batch)
        const compress = !this.config.disable_compression && typeof CompressionStream === 'function'
        const body = compress ? await gzip(text) : text
        const response = await fetch(this.config.api_host + '/e/', {
          method: 'POST',
          body,
          headers: { 'Content-Type': 'text/plain' },
          credentials: 'omit',
        })
        status = response.status
      } catch (e) {
        status = 0
      }
      this._inflight = null
      if (status === 200 || (status >= 400 && status < 500)) {
        if (status !== 200) warn(`the server refused ${batch.length} events (HTTP ${status}); they are dropped`)
        this.queue = this.queue.filter((event) => !batch.includes(event))
        this._saveQueue()
        this._failures = 0
        if (this.queue.length) this._schedule(0)
        return
      }
      this._failures++
      const base = this.config.retry_delay_ms * 2 ** Math.min(this._failures - 1, 10)
      this._schedule(Math.min(base, 60000) * (0.75 + Math.random() / 2))
    }

    /** On page hide: everything still queued goes by sendBeacon, which outlives the page. */
    _beacon() {
      if (!this.queue.length || !navigator.sendBeacon) return
      const url = this.config.api_host + '/e/'
      const kept = []
      for (let i = 0; i < this.queue.length; i += 20) {
        const batch = this.queue.slice(i, i + 20)
        const sent = navigator.sendBeacon(url, new Blob([this._body(batch)], { type: 'text/plain' }))
        if (!sent) kept.push(...batch)
      }
      // While the server is failing, a beacon may be lost too: keep everything for the next
      // page of this tab (the server drops repeated uuids). Otherwise keep only refused beacons.
      this.queue = this._failures ? this.queue : kept
      this._saveQueue()
    }
  }

  const instance = new Hedgerow()
  const pending = Array.isArray(window.hedgerow) ? window.hedgerow : []
  window.hedgerow = instance
  // The async snippet queues calls as [method, ...args] before this file has loaded.
  for (const [method, ...args] of pending) {
    if (typeof instance[method] === 'function') instance[method](...args)
  }
})(typeof window !== 'undefined' ? window : undefined, typeof document !== 'undefined' ? document : undefined)
