/* cm_cms - the S/MIME engine on OpenSSL's CMS, in-process: recipients'
 * certificates from CertificateDir, DER out. Only the registry names it. */
#ifndef CM_CMS_H
#define CM_CMS_H

#include "cm_engine.h"

extern const cm_engine_ops cm_cms_engine;

#endif
