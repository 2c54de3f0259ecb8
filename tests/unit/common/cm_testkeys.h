/* cm_testkeys - a config pointing at the fixture keyring. */
#ifndef CM_TESTKEYS_H
#define CM_TESTKEYS_H

#include <stdio.h>
#include <stdlib.h>

#include "cm_config.h"
#include "cm_test.h"

__attribute__((unused)) static cm_config *test_config(const char *missing_key_action)
{
    const char *kr = getenv("CM_TEST_KEYRING"), *tmp = getenv("CM_TEST_TMP");
    char path[1024], err[256];
    cm_config *cfg = cm_config_new();

    ck_assert_msg(kr != NULL, "CM_TEST_KEYRING not set: run through ctest");
    snprintf(path, sizeof(path), "%s/gnupg", kr);
    ck_assert_int_eq(cm_config_set(cfg, "KeyringDir", path, err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(cfg, "SpoolDir", tmp ? tmp : "/tmp", err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(cfg, "MemoryBufferSize", "4K", err, sizeof(err)), 0);
    ck_assert_int_eq(cm_config_set(cfg, "MissingKeyAction", missing_key_action, err,
                                   sizeof(err)), 0);
    /* Named, not the default: the core's tests run on the GPGME engine as
     * they always have (the per-engine suites run both). */
    ck_assert_int_eq(cm_config_set(cfg, "OpenPGPBackend", "gpgme", err, sizeof(err)), 0);
    return cfg;
}

#endif
