/** Characters generated database passwords never contain: they break connection strings, URLs and shells. */
export const PASSWORD_EXCLUDED_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

/** Length of every generated database password (the user secrets' and their rotations'). */
export const PASSWORD_LENGTH = 32;
