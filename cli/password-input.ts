import { stderr, stdin } from 'node:process';

/** A usage problem with what was typed or piped: exit 64. */
export class PasswordInputError extends Error {
  override name = 'PasswordInputError';
}

/** The first line of piped standard input, without its line ending. */
async function firstLineOfPipe(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (chunk.includes(0x0a) || size > 64 * 1024) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const end = text.search(/\r?\n/);
  return end === -1 ? text : text.slice(0, end);
}

/** One line typed at the terminal with nothing echoed; Ctrl-C or Ctrl-D gives up. */
function typedWithoutEcho(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    stderr.write(prompt);
    let typed = '';
    stdin.setRawMode(true);
    stdin.resume();
    const finish = (error: Error | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: Buffer) => {
      for (const character of data.toString('utf8')) {
        if (character === '\r' || character === '\n') return finish(null);
        if (character === '\u0003' || character === '\u0004')
          return finish(new PasswordInputError('nothing was given'));
        if (character === '\u007f' || character === '\b') typed = Array.from(typed).slice(0, -1).join('');
        else if (character >= ' ') typed += character;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * The new password, from standard input so that it never shows in the process list or the
 * shell's history: the first line of a pipe, or typed twice at a terminal without echo.
 */
export async function readNewPassword(): Promise<string> {
  if (!stdin.isTTY) {
    const password = await firstLineOfPipe();
    if (password === '') throw new PasswordInputError('give the password as the first line of standard input');
    return password;
  }
  const first = await typedWithoutEcho('New password: ');
  const second = await typedWithoutEcho('The same password again: ');
  if (first !== second) throw new PasswordInputError('the two passwords differ');
  return first;
}

/**
 * A secret read once from standard input (a letter's PIN): the first line of a pipe, or typed at
 * a terminal without echo; never an argument, which the process list and the shell's history keep.
 */
export async function readSecretLine(prompt: string, what: string): Promise<string> {
  const secret = stdin.isTTY ? await typedWithoutEcho(prompt) : await firstLineOfPipe();
  if (secret.trim() === '') throw new PasswordInputError(`give ${what} as the first line of standard input`);
  return secret.trim();
}
