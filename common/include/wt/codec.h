/* SPDX-License-Identifier: Apache-2.0 */
/* Generic protobuf-c decode and encode with size limits, on message descriptors. This is the
 * one place where bytes from the network become protobuf-c messages: every *_codec.c decodes
 * through wt_codec_decode(), copies what it keeps into domain structs and frees the message in
 * the same function (STYLE.md section 6). Nothing here knows a message type; callers pass the
 * generated descriptor (e.g. &wattlease__v1__child_msg__descriptor) from their *_codec.c.
 *
 * What wt_codec_decode() guarantees beyond protobuf-c's own parsing:
 *   - @len is checked against @max_bytes before anything else (no allocation, no parsing);
 *   - every allocation goes through wt_malloc()/wt_free(), so CMocka's leak checks see it, and
 *     the total allocated while decoding (transient parser state included) is capped at
 *     WT_CODEC_ALLOC_FACTOR x @max_bytes + WT_CODEC_ALLOC_SLACK bytes. Real messages need
 *     1-5 bytes of memory per wire byte; a message built to expand (thousands of empty
 *     sub-messages, 2-3 bytes each on the wire and over a hundred in memory while parsing)
 *     fails with WT_E2BIG near the cap instead of exhausting memory. The ceiling follows the cap,
 * not the input, so a message that decoded once decodes again after re-encoding under the same cap;
 *   - string fields contain no NUL byte (C code would silently cut them short);
 *   - packed repeated fields are not empty (no encoder writes an empty run, and protobuf-c
 *     1.4.1 has undefined behaviour on one);
 *   - enum fields, singular, repeated or packed, hold only values the schema declares: enums are
 *     closed. A peer must never send a value an older build does not know (add a field
 *     instead), since acting on a priority class or an outcome we do not understand is unsafe;
 *   - messages nest at most WT_CODEC_DEPTH_MAX deep.
 * protobuf-c 1.4.1 quirks the caller should know: a oneof member that appears twice replaces the
 * first instead of merging with it, and a singular sub-message that appears twice keeps only the
 * later occurrence's scalar fields. Our encoders never produce either.
 *
 * All functions are pure and thread-safe (they keep no state) as long as the allocator hook is
 * not changed concurrently. */
#ifndef WT_CODEC_H
#define WT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define WT_CODEC_ALLOC_FACTOR 16 /* decode may allocate this many bytes per byte of cap... */
#define WT_CODEC_ALLOC_SLACK  (64 * 1024) /* ...plus this much */
#define WT_CODEC_DEPTH_MAX    32	  /* nesting of sub-messages */

/* Decode @len bytes at @buf as a message of type @desc.
 * Returns 0 and stores a new message in *@out (free it with wt_codec_free(), never with
 * protobuf-c's *__free_unpacked(NULL)), or: WT_E2BIG when @len > @max_bytes (checked first) or
 * when decoding would allocate more than the ceiling above; WT_EBADMSG when the bytes are not a
 * valid encoding of @desc or break one of the rules above; -EINVAL when @buf is NULL and @len > 0.
 * *@out is written only on success. Borrows @buf. An empty buffer is a valid all-default
 * message. */
int wt_codec_decode(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
		    size_t max_bytes, ProtobufCMessage **out);

/* Free a message returned by wt_codec_decode(). NULL is a no-op. */
void wt_codec_free(ProtobufCMessage *msg);

/* Encode @msg into a new buffer (allocated with wt_malloc(), owned by the caller; free it with
 * wt_free()). Returns 0 and sets *@out and *@out_len, or WT_E2BIG when the encoding would be
 * longer than @max_bytes (nothing is allocated then). *@out is never NULL on success, even for
 * a zero-length encoding. Borrows @msg. */
int wt_codec_encode(const ProtobufCMessage *msg, size_t max_bytes, uint8_t **out, size_t *out_len);

/* Encode @msg into @buf of @cap bytes. Returns 0 and sets *@out_len, or WT_E2BIG when the
 * encoding does not fit (@buf is then untouched). Borrows @msg and @buf. */
int wt_codec_encode_to(const ProtobufCMessage *msg, uint8_t *buf, size_t cap, size_t *out_len);

#endif
