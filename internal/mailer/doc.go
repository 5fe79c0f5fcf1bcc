// Package mailer sends the e-mails of e-CPTS (invitations, password
// resets, digests). A Mailer takes a Mail with a plain-text body and an
// optional HTML one, and either hands it to an SMTP server (SMTP) or, when
// none is configured, writes it as an .eml file under the data directory
// (File), where an administrator or a test can read it.
//
// Messages are composed here once, for both: RFC 5322 headers, RFC 2047
// encoded subject and names, UTF-8 bodies in quoted-printable, and
// multipart/alternative when there is HTML. Mail content (recipients,
// subjects, bodies, links holding tokens) is never logged and never put in
// an error.
package mailer
