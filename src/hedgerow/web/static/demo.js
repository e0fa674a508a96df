// The demo page's behavior (kept out of the page so that its Content-Security-Policy can
// forbid inline scripts). The project token and this server's URL come from <body data-*>.
const settings = { token: document.body.dataset.token, api_host: document.body.dataset.apiHost }
const log = document.getElementById('log')
function show(event) {
  const line = document.createElement('div')
  const p = event.properties
  const detail = p.$elements_chain ? p.$event_type + ' ' + p.$elements_chain : p.$pathname || ''
  line.textContent = new Date().toLocaleTimeString() + '  ' + event.event + '  ' + detail
  log.prepend(line)
  return event
}
hedgerow.init(settings.token, { api_host: settings.api_host, before_send: show })
document.getElementById('external-link').addEventListener('click', (e) => e.preventDefault())
document.getElementById('signup-form').addEventListener('submit', (e) => e.preventDefault())
document.getElementById('purchase').addEventListener('click', () => {
  hedgerow.capture('Plan purchased', {
    price: 1599, planId: 'XYZ12345', frequency: 'monthly',
    features: { seats: 5, sso: true },
  })
})
document.getElementById('identify').addEventListener('click', () => {
  hedgerow.identify('demo-user', { email: 'demo@example.com' })
})
document.getElementById('navigate').addEventListener('click', () => {
  history.pushState({}, '', '/demo/pricing')
})
document.getElementById('reset').addEventListener('click', () => hedgerow.reset())
