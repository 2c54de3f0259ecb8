/* cm_mapfile - the line files some keys name ("file:/path"): EncryptionPolicy
 * and KeyAliases. One reader, so both refuse the same hostile input the
 * same way and name the file and line of what they refuse. */
#ifndef CM_MAPFILE_H
#define CM_MAPFILE_H

#include <stddef.h>

#define CM_MAPFILE_MAX_LINE 998         /* bytes, as an SMTP line */
#define CM_MAPFILE_MAX_TOKENS 64
#define CM_MAPFILE_MAX_SIZE (4u << 20)  /* the whole file */

/* One line's tokens (split on white space and commas, ASCII lower-cased;
 * other bytes, UTF-8 domains among them, kept as they are) and its number.
 * 0, or -1 with the reason (without file and line) in err. */
typedef int (*cm_mapfile_fn)(void *arg, size_t line, char **tok, size_t ntok, char *err,
                             size_t errlen);

/* Hand fn each line of text that is not blank or a comment ('#' to the end
 * of the line); the last line may lack its newline. A NUL or other control
 * byte, a line over CM_MAPFILE_MAX_LINE or with more than
 * CM_MAPFILE_MAX_TOKENS tokens is refused. 0, or -1 with "name:line:
 * reason" in err. */
int cm_mapfile_parse(const char *name, const char *text, size_t len, cm_mapfile_fn fn, void *arg,
                     char *err, size_t errlen);

/* value is "file:/path": read that file (a regular one, at most
 * CM_MAPFILE_MAX_SIZE) and parse it as above. 0, or -1 with the reason
 * (naming the file) in err. */
int cm_mapfile_load(const char *value, cm_mapfile_fn fn, void *arg, char *err, size_t errlen);

/* A pattern or address ending in '.': never matched, since envelope
 * domains lose their trailing dot (cm_addr_bare). -1 with "\"tok\" ends in
 * a dot (write ...)" in err; 0 if tok does not. */
int cm_mapfile_trailing_dot(const char *tok, char *err, size_t errlen);

/* Do a and b name the same bytes, ASCII letters compared without case? */
int cm_mapfile_eq(const char *a, size_t alen, const char *b, size_t blen);

#endif
