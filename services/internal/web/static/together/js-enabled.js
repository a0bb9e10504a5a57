// Loaded at the start of <body>, before anything is drawn: nhsuk-frontend's
// styles for enhanced components apply only with these classes, and
// nhsuk-frontend-supported only where ES modules (its script) run. It is a
// file rather than the inline snippet nhsuk documents so that the content
// security policy can forbid every inline script.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' nhsuk-frontend-supported' : '');
