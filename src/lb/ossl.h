/*
 * ossl.h - OpenSSL (libssl and libcrypto), loaded when brace lb first needs
 * TLS rather than linked.
 *
 * libcrypto's size and constructors cost about 3 ms of CPU at every start of
 * the binary, and only brace lb with a TLS listener or a TLS server calls it
 * (tls.c, tlscert.c). Those files reach OpenSSL through the table `ossl`,
 * which ossl_load() fills in (core/dl.h) from libssl.so.3, by its versioned
 * name from the system's library paths only; libcrypto comes in as libssl's
 * dependency, and its functions are found through the same handle.
 *
 * The two files keep reading like ordinary OpenSSL code: this header
 * includes every OpenSSL header they use, declares the table from
 * OSSL_FUNCS, and then defines each function's name as its member
 * (`#define SSL_new (ossl.SSL_new)`), so that a call, and a call OpenSSL's
 * own macros make (SSL_CTX_set_min_proto_version is SSL_CTX_ctrl,
 * OPENSSL_free is CRYPTO_free, sk_X509_push is OPENSSL_sk_push), goes
 * through the table. The build checks both lists: a function used without a
 * #define is an undefined symbol when brace is linked (libssl is not), and a
 * #define without a member does not compile. Hence two rules: an OpenSSL
 * header this one does not include must not be read after it (its
 * declarations would not compile), and nothing is called before
 * ossl_load() succeeded (every member is NULL until then). Headers that
 * only need OpenSSL's types (tlscert.h) include OpenSSL's own headers, and
 * code that is not brace lb's (the tests' certificate makers) calls a
 * linked OpenSSL as usual.
 */
#ifndef BRACE_LB_OSSL_H
#define BRACE_LB_OSSL_H

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/dl.h"

/* The functions of libssl that tls.c and tlscert.c call. */
#define OSSL_SSL_FUNCS(X) \
	X(SSL_CIPHER_get_name) X(SSL_CTX_callback_ctrl) X(SSL_CTX_ctrl) X(SSL_CTX_free) \
	X(SSL_CTX_load_verify_locations) X(SSL_CTX_new) X(SSL_CTX_sess_set_new_cb) \
	X(SSL_CTX_set_alpn_select_cb) X(SSL_CTX_set_cipher_list) X(SSL_CTX_set_ciphersuites) \
	X(SSL_CTX_set_default_verify_paths) X(SSL_CTX_set_num_tickets) X(SSL_CTX_set_options) \
	X(SSL_CTX_set_session_id_context) X(SSL_CTX_set_timeout) \
	X(SSL_CTX_set_tlsext_ticket_key_evp_cb) X(SSL_CTX_set_verify) X(SSL_CTX_use_PrivateKey) \
	X(SSL_CTX_use_certificate) X(SSL_SESSION_dup) X(SSL_SESSION_free) \
	X(SSL_SESSION_is_resumable) X(SSL_ctrl) X(SSL_do_handshake) X(SSL_free) \
	X(SSL_get0_param) X(SSL_get_current_cipher) X(SSL_get_error) X(SSL_get_ex_data) \
	X(SSL_get_servername) X(SSL_get_verify_result) X(SSL_get_version) X(SSL_has_pending) \
	X(SSL_is_server) X(SSL_new) X(SSL_read_ex) X(SSL_select_next_proto) \
	X(SSL_session_reused) X(SSL_set1_host) X(SSL_set_SSL_CTX) X(SSL_set_accept_state) \
	X(SSL_set_bio) X(SSL_set_connect_state) X(SSL_set_ex_data) X(SSL_set_hostflags) \
	X(SSL_set_session) X(SSL_shutdown) X(SSL_version) X(SSL_write_ex) X(TLS_client_method) \
	X(TLS_server_method)

/* And of libcrypto, found through libssl's handle. */
#define OSSL_CRYPTO_FUNCS(X) \
	X(ASN1_STRING_get0_data) X(ASN1_STRING_length) X(ASN1_STRING_to_UTF8) \
	X(ASN1_TIME_to_tm) X(BIO_clear_flags) X(BIO_ctrl) X(BIO_free) X(BIO_get_data) \
	X(BIO_get_new_index) X(BIO_meth_new) X(BIO_meth_set_create) X(BIO_meth_set_ctrl) \
	X(BIO_meth_set_read) X(BIO_meth_set_write) X(BIO_new) X(BIO_new_mem_buf) \
	X(BIO_set_data) X(BIO_set_flags) X(BIO_set_init) X(CRYPTO_clear_free) X(CRYPTO_free) \
	X(CRYPTO_get_ex_new_index) X(ERR_clear_error) X(ERR_get_error) X(ERR_peek_error) \
	X(ERR_peek_last_error) X(ERR_reason_error_string) X(EVP_DecryptInit_ex) \
	X(EVP_EncryptInit_ex) X(EVP_MAC_CTX_set_params) X(EVP_PKEY_free) X(EVP_aes_256_cbc) \
	X(GENERAL_NAMES_free) X(OPENSSL_cleanse) X(OPENSSL_sk_new_null) X(OPENSSL_sk_num) \
	X(OPENSSL_sk_pop_free) X(OPENSSL_sk_push) X(OPENSSL_sk_value) \
	X(OSSL_PARAM_construct_end) X(OSSL_PARAM_construct_octet_string) \
	X(OSSL_PARAM_construct_utf8_string) X(PEM_read_bio) X(PEM_read_bio_X509) X(RAND_bytes) \
	X(X509_NAME_ENTRY_get_data) X(X509_NAME_get_entry) X(X509_NAME_get_index_by_NID) \
	X(X509_VERIFY_PARAM_set1_ip_asc) X(X509_check_private_key) X(X509_free) \
	X(X509_get0_notAfter) X(X509_get0_notBefore) X(X509_get_ext_d2i) \
	X(X509_get_subject_name) X(X509_verify_cert_error_string) X(d2i_AutoPrivateKey)

#define OSSL_FUNCS(X) OSSL_SSL_FUNCS(X) OSSL_CRYPTO_FUNCS(X)

/* The table: each member typed from OpenSSL's own declaration. */
struct ossl_fns { OSSL_FUNCS(DL_FN) };
extern struct ossl_fns ossl;

/*
 * Load libssl.so.3 and fill in ossl, once per process (any thread; later
 * calls only look at the outcome). 0, or -1 with err naming the library,
 * its Debian package and the loader's reason ("cannot load libssl.so.3
 * (Debian package libssl3): ..."); a failure is final.
 */
int ossl_load(char *err);
/* Has ossl_load() succeeded (may the table be called)? */
int ossl_loaded(void);

/* ossl.c builds the symbol list from OSSL_FUNCS, which needs the plain names. */
#ifndef OSSL_TABLE_ONLY
/* Every member of OSSL_FUNCS, in the same order: libssl's... */
#define SSL_CIPHER_get_name (ossl.SSL_CIPHER_get_name)
#define SSL_CTX_callback_ctrl (ossl.SSL_CTX_callback_ctrl)
#define SSL_CTX_ctrl (ossl.SSL_CTX_ctrl)
#define SSL_CTX_free (ossl.SSL_CTX_free)
#define SSL_CTX_load_verify_locations (ossl.SSL_CTX_load_verify_locations)
#define SSL_CTX_new (ossl.SSL_CTX_new)
#define SSL_CTX_sess_set_new_cb (ossl.SSL_CTX_sess_set_new_cb)
#define SSL_CTX_set_alpn_select_cb (ossl.SSL_CTX_set_alpn_select_cb)
#define SSL_CTX_set_cipher_list (ossl.SSL_CTX_set_cipher_list)
#define SSL_CTX_set_ciphersuites (ossl.SSL_CTX_set_ciphersuites)
#define SSL_CTX_set_default_verify_paths (ossl.SSL_CTX_set_default_verify_paths)
#define SSL_CTX_set_num_tickets (ossl.SSL_CTX_set_num_tickets)
#define SSL_CTX_set_options (ossl.SSL_CTX_set_options)
#define SSL_CTX_set_session_id_context (ossl.SSL_CTX_set_session_id_context)
#define SSL_CTX_set_timeout (ossl.SSL_CTX_set_timeout)
#define SSL_CTX_set_tlsext_ticket_key_evp_cb (ossl.SSL_CTX_set_tlsext_ticket_key_evp_cb)
#define SSL_CTX_set_verify (ossl.SSL_CTX_set_verify)
#define SSL_CTX_use_PrivateKey (ossl.SSL_CTX_use_PrivateKey)
#define SSL_CTX_use_certificate (ossl.SSL_CTX_use_certificate)
#define SSL_SESSION_dup (ossl.SSL_SESSION_dup)
#define SSL_SESSION_free (ossl.SSL_SESSION_free)
#define SSL_SESSION_is_resumable (ossl.SSL_SESSION_is_resumable)
#define SSL_ctrl (ossl.SSL_ctrl)
#define SSL_do_handshake (ossl.SSL_do_handshake)
#define SSL_free (ossl.SSL_free)
#define SSL_get0_param (ossl.SSL_get0_param)
#define SSL_get_current_cipher (ossl.SSL_get_current_cipher)
#define SSL_get_error (ossl.SSL_get_error)
#define SSL_get_ex_data (ossl.SSL_get_ex_data)
#define SSL_get_servername (ossl.SSL_get_servername)
#define SSL_get_verify_result (ossl.SSL_get_verify_result)
#define SSL_get_version (ossl.SSL_get_version)
#define SSL_has_pending (ossl.SSL_has_pending)
#define SSL_is_server (ossl.SSL_is_server)
#define SSL_new (ossl.SSL_new)
#define SSL_read_ex (ossl.SSL_read_ex)
#define SSL_select_next_proto (ossl.SSL_select_next_proto)
#define SSL_session_reused (ossl.SSL_session_reused)
#define SSL_set1_host (ossl.SSL_set1_host)
#define SSL_set_SSL_CTX (ossl.SSL_set_SSL_CTX)
#define SSL_set_accept_state (ossl.SSL_set_accept_state)
#define SSL_set_bio (ossl.SSL_set_bio)
#define SSL_set_connect_state (ossl.SSL_set_connect_state)
#define SSL_set_ex_data (ossl.SSL_set_ex_data)
#define SSL_set_hostflags (ossl.SSL_set_hostflags)
#define SSL_set_session (ossl.SSL_set_session)
#define SSL_shutdown (ossl.SSL_shutdown)
#define SSL_version (ossl.SSL_version)
#define SSL_write_ex (ossl.SSL_write_ex)
#define TLS_client_method (ossl.TLS_client_method)
#define TLS_server_method (ossl.TLS_server_method)
/* ...and libcrypto's. */
#define ASN1_STRING_get0_data (ossl.ASN1_STRING_get0_data)
#define ASN1_STRING_length (ossl.ASN1_STRING_length)
#define ASN1_STRING_to_UTF8 (ossl.ASN1_STRING_to_UTF8)
#define ASN1_TIME_to_tm (ossl.ASN1_TIME_to_tm)
#define BIO_clear_flags (ossl.BIO_clear_flags)
#define BIO_ctrl (ossl.BIO_ctrl)
#define BIO_free (ossl.BIO_free)
#define BIO_get_data (ossl.BIO_get_data)
#define BIO_get_new_index (ossl.BIO_get_new_index)
#define BIO_meth_new (ossl.BIO_meth_new)
#define BIO_meth_set_create (ossl.BIO_meth_set_create)
#define BIO_meth_set_ctrl (ossl.BIO_meth_set_ctrl)
#define BIO_meth_set_read (ossl.BIO_meth_set_read)
#define BIO_meth_set_write (ossl.BIO_meth_set_write)
#define BIO_new (ossl.BIO_new)
#define BIO_new_mem_buf (ossl.BIO_new_mem_buf)
#define BIO_set_data (ossl.BIO_set_data)
#define BIO_set_flags (ossl.BIO_set_flags)
#define BIO_set_init (ossl.BIO_set_init)
#define CRYPTO_clear_free (ossl.CRYPTO_clear_free)
#define CRYPTO_free (ossl.CRYPTO_free)
#define CRYPTO_get_ex_new_index (ossl.CRYPTO_get_ex_new_index)
#define ERR_clear_error (ossl.ERR_clear_error)
#define ERR_get_error (ossl.ERR_get_error)
#define ERR_peek_error (ossl.ERR_peek_error)
#define ERR_peek_last_error (ossl.ERR_peek_last_error)
#define ERR_reason_error_string (ossl.ERR_reason_error_string)
#define EVP_DecryptInit_ex (ossl.EVP_DecryptInit_ex)
#define EVP_EncryptInit_ex (ossl.EVP_EncryptInit_ex)
#define EVP_MAC_CTX_set_params (ossl.EVP_MAC_CTX_set_params)
#define EVP_PKEY_free (ossl.EVP_PKEY_free)
#define EVP_aes_256_cbc (ossl.EVP_aes_256_cbc)
#define GENERAL_NAMES_free (ossl.GENERAL_NAMES_free)
#define OPENSSL_cleanse (ossl.OPENSSL_cleanse)
#define OPENSSL_sk_new_null (ossl.OPENSSL_sk_new_null)
#define OPENSSL_sk_num (ossl.OPENSSL_sk_num)
#define OPENSSL_sk_pop_free (ossl.OPENSSL_sk_pop_free)
#define OPENSSL_sk_push (ossl.OPENSSL_sk_push)
#define OPENSSL_sk_value (ossl.OPENSSL_sk_value)
#define OSSL_PARAM_construct_end (ossl.OSSL_PARAM_construct_end)
#define OSSL_PARAM_construct_octet_string (ossl.OSSL_PARAM_construct_octet_string)
#define OSSL_PARAM_construct_utf8_string (ossl.OSSL_PARAM_construct_utf8_string)
#define PEM_read_bio (ossl.PEM_read_bio)
#define PEM_read_bio_X509 (ossl.PEM_read_bio_X509)
#define RAND_bytes (ossl.RAND_bytes)
#define X509_NAME_ENTRY_get_data (ossl.X509_NAME_ENTRY_get_data)
#define X509_NAME_get_entry (ossl.X509_NAME_get_entry)
#define X509_NAME_get_index_by_NID (ossl.X509_NAME_get_index_by_NID)
#define X509_VERIFY_PARAM_set1_ip_asc (ossl.X509_VERIFY_PARAM_set1_ip_asc)
#define X509_check_private_key (ossl.X509_check_private_key)
#define X509_free (ossl.X509_free)
#define X509_get0_notAfter (ossl.X509_get0_notAfter)
#define X509_get0_notBefore (ossl.X509_get0_notBefore)
#define X509_get_ext_d2i (ossl.X509_get_ext_d2i)
#define X509_get_subject_name (ossl.X509_get_subject_name)
#define X509_verify_cert_error_string (ossl.X509_verify_cert_error_string)
#define d2i_AutoPrivateKey (ossl.d2i_AutoPrivateKey)
#endif

#endif
