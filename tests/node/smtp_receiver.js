// A real SMTP server for idemload's tests (the e-mail alert channel).
//   node smtp_receiver.js PORT OUTFILE [--secure] [--starttls] [--auth USER:PASS] [--reject-rcpt ADDRESS]
// Listens on 127.0.0.1:PORT (0 = a free port) and appends each received message to OUTFILE as
// one JSON line {from, to, secure, user, raw}. Prints "ready PORT" once listening; stops on
// SIGTERM/SIGINT. --secure: TLS from the start (smtps). --starttls: offer STARTTLS (otherwise
// it is disabled). Both use smtp-server's built-in test certificate. --auth: require AUTH with
// these credentials. --reject-rcpt: answer 550 for that recipient.
'use strict';

const fs = require('fs');
const { SMTPServer } = require('smtp-server');

const args = process.argv.slice(2);
if (args.length < 2) {
  process.stderr.write('usage: smtp_receiver.js PORT OUTFILE [--secure] [--starttls] [--auth USER:PASS] [--reject-rcpt ADDRESS]\n');
  process.exit(2);
}
const port = Number(args[0]);
const outFile = args[1];
let secure = false;
let starttls = false;
let auth = null;
let rejectRcpt = null;
for (let idx = 2; idx < args.length; idx++) {
  if (args[idx] === '--secure') secure = true;
  else if (args[idx] === '--starttls') starttls = true;
  else if (args[idx] === '--auth') auth = args[++idx];
  else if (args[idx] === '--reject-rcpt') rejectRcpt = args[++idx];
  else {
    process.stderr.write(`unknown option ${args[idx]}\n`);
    process.exit(2);
  }
}

const options = {
  secure,
  logger: false,
  banner: 'idemload test receiver',
  disabledCommands: starttls || secure ? [] : ['STARTTLS'],
  authOptional: auth === null,
  allowInsecureAuth: true,
  onRcptTo(address, session, callback) {
    if (rejectRcpt !== null && address.address === rejectRcpt) {
      const err = new Error('no such mailbox');
      err.responseCode = 550;
      return callback(err);
    }
    callback();
  },
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      const record = {
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
        to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        secure: session.secure,
        user: session.user === undefined ? null : session.user,
        raw: Buffer.concat(chunks).toString('utf8'),
      };
      fs.appendFileSync(outFile, JSON.stringify(record) + '\n');
      callback(null, 'queued');
    });
  },
};
if (auth !== null) {
  const colon = auth.indexOf(':');
  const user = auth.slice(0, colon);
  const pass = auth.slice(colon + 1);
  options.onAuth = (login, session, callback) => {
    if (login.username === user && login.password === pass) return callback(null, { user });
    const err = new Error('invalid credentials');
    err.responseCode = 535;
    return callback(err);
  };
}

const server = new SMTPServer(options);
server.on('error', (err) => process.stderr.write(`smtp receiver: ${err.message}\n`));
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${server.server.address().port}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();  // a client that never hangs up
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
