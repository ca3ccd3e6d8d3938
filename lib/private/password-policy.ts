/** Characters left out of generated passwords: they break connection strings and shells. */
export const PASSWORD_EXCLUDED_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

/** Length of generated database passwords. */
export const PASSWORD_LENGTH = 32;
