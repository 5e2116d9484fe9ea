/* SPDX-License-Identifier: Apache-2.0 */
/* Generic protobuf-c decode/encode with limits. Before protobuf-c sees a buffer, a short walk of
 * the wire format against the descriptor rejects what protobuf-c would accept but C code must
 * not (NUL bytes inside strings, enum values the schema does not declare, deep nesting); then
 * protobuf-c unpacks with an allocator that goes through wt_malloc() and refuses to exceed a
 * budget proportional to the input. This file must not include any *.pb-c.h: it knows no
 * message type. */
#include "wt/codec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "wt/err.h"
#include "wt/mem.h"

/* Wire types (protobuf encoding). */
enum {
	WIRE_VARINT = 0,
	WIRE_64BIT = 1,
	WIRE_LEN = 2,
	WIRE_32BIT = 5,
};

#define FIELD_NUMBER_MAX ((1u << 29) - 1)

/* Read a varint of at most 10 bytes. */
static int read_varint(const uint8_t **p, size_t *rem, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < 10 && i < *rem; i++) {
		uint8_t b = (*p)[i];

		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			*p += i + 1;
			*rem -= i + 1;
			*v = x;
			return 0;
		}
	}
	return WT_EBADMSG;
}

static bool enum_known(const ProtobufCFieldDescriptor *f, uint64_t v)
{
	/* protobuf-c keeps the low 32 bits of an enum varint as an int; judge that value. */
	int32_t value = (int32_t)(uint32_t)v;

	return protobuf_c_enum_descriptor_get_value(f->descriptor, value) != NULL;
}

static int check_packed_enums(const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t len)
{
	while (len > 0) {
		uint64_t v;

		if (read_varint(&p, &len, &v) < 0 || !enum_known(f, v)) {
			return WT_EBADMSG;
		}
	}
	return 0;
}

static bool packable(ProtobufCType type)
{
	return type != PROTOBUF_C_TYPE_STRING && type != PROTOBUF_C_TYPE_BYTES &&
	       type != PROTOBUF_C_TYPE_MESSAGE;
}

/* Walk one message's fields. Unknown fields and fields whose wire type does not match the
 * schema are only skipped: protobuf-c keeps the former and rejects the latter. */
static int scan(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t rem,
		unsigned depth)
{
	if (depth > WT_CODEC_DEPTH_MAX) {
		return WT_EBADMSG;
	}
	while (rem > 0) {
		const ProtobufCFieldDescriptor *f;
		uint64_t tag, v;
		unsigned wire;
		int rc;

		if (read_varint(&p, &rem, &tag) < 0 || tag > UINT32_MAX) {
			return WT_EBADMSG;
		}
		wire = (unsigned)(tag & 7);
		if ((tag >> 3) == 0 || (tag >> 3) > FIELD_NUMBER_MAX) {
			return WT_EBADMSG;
		}
		f = protobuf_c_message_descriptor_get_field(desc, (unsigned)(tag >> 3));
		switch (wire) {
		case WIRE_VARINT:
			if (read_varint(&p, &rem, &v) < 0) {
				return WT_EBADMSG;
			}
			if (f != NULL && f->type == PROTOBUF_C_TYPE_ENUM && !enum_known(f, v)) {
				return WT_EBADMSG;
			}
			break;
		case WIRE_64BIT:
		case WIRE_32BIT: {
			size_t n = wire == WIRE_64BIT ? 8 : 4;

			if (rem < n) {
				return WT_EBADMSG;
			}
			p += n;
			rem -= n;
			break;
		}
		case WIRE_LEN:
			if (read_varint(&p, &rem, &v) < 0 || v > rem) {
				return WT_EBADMSG;
			}
			rc = 0;
			if (f != NULL && v == 0 && f->label == PROTOBUF_C_LABEL_REPEATED &&
			    packable(f->type)) {
				/* An empty packed run: legal, but no encoder writes one, and
				 * protobuf-c 1.4.1 then does arithmetic and memcpy() on the NULL
				 * array (undefined behaviour that UBSan reports). */
				rc = WT_EBADMSG;
			} else if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING) {
				rc = memchr(p, '\0', (size_t)v) != NULL ? WT_EBADMSG : 0;
			} else if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE) {
				rc = scan(f->descriptor, p, (size_t)v, depth + 1);
			} else if (f != NULL && f->type == PROTOBUF_C_TYPE_ENUM &&
				   f->label == PROTOBUF_C_LABEL_REPEATED) {
				rc = check_packed_enums(f, p, (size_t)v);
			}
			if (rc < 0) {
				return rc;
			}
			p += v;
			rem -= (size_t)v;
			break;
		default:
			/* Groups (3, 4) are not supported by protobuf-c; 6 and 7 do not exist. */
			return WT_EBADMSG;
		}
	}
	return 0;
}

struct budget {
	size_t left;
	bool exceeded;
};

static void *budget_alloc(void *data, size_t size)
{
	struct budget *b = data;

	if (size > b->left) {
		b->exceeded = true;
		return NULL; /* protobuf-c unwinds and frees what it built */
	}
	b->left -= size;
	return wt_malloc(size);
}

static void *plain_alloc(void *data, size_t size)
{
	return wt_malloc(size);
}

static void plain_free(void *data, void *ptr)
{
	wt_free(ptr);
}

int wt_codec_decode(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
		    size_t max_bytes, ProtobufCMessage **out)
{
	static const uint8_t empty[1];
	struct budget b = { 0 };
	ProtobufCAllocator a = { budget_alloc, plain_free, &b };
	ProtobufCMessage *msg;
	int rc;

	if (len > max_bytes) {
		return WT_E2BIG;
	}
	if (buf == NULL) {
		if (len > 0) {
			return -EINVAL;
		}
		buf = empty;
	}
	rc = scan(desc, buf, len, 0);
	if (rc < 0) {
		return rc;
	}
	/* The ceiling follows @max_bytes, not @len: then whatever decoded once decodes again
	 * after a re-encoding under the same cap (which only drops or merges what it allocated),
	 * and the caller reads the memory bound off the cap it chose. */
	if (max_bytes > (SIZE_MAX - WT_CODEC_ALLOC_SLACK) / WT_CODEC_ALLOC_FACTOR) {
		b.left = SIZE_MAX;
	} else {
		b.left = max_bytes * WT_CODEC_ALLOC_FACTOR + WT_CODEC_ALLOC_SLACK;
	}
	msg = protobuf_c_message_unpack(desc, &a, len, buf);
	if (msg == NULL) {
		return b.exceeded ? WT_E2BIG : WT_EBADMSG;
	}
	*out = msg;
	return 0;
}

void wt_codec_free(ProtobufCMessage *msg)
{
	/* Must match the allocator of the unpack: only .free is used when freeing. */
	ProtobufCAllocator a = { plain_alloc, plain_free, NULL };

	if (msg != NULL) {
		protobuf_c_message_free_unpacked(msg, &a);
	}
}

int wt_codec_encode_to(const ProtobufCMessage *msg, uint8_t *buf, size_t cap, size_t *out_len)
{
	size_t size = protobuf_c_message_get_packed_size(msg);
	size_t n;

	if (size > cap) {
		return WT_E2BIG;
	}
	n = protobuf_c_message_pack(msg, buf);
	WT_ASSERT(n == size);
	*out_len = n;
	return 0;
}

int wt_codec_encode(const ProtobufCMessage *msg, size_t max_bytes, uint8_t **out, size_t *out_len)
{
	size_t size = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf;
	size_t n;

	if (size > max_bytes) {
		return WT_E2BIG;
	}
	buf = wt_malloc(size);
	n = protobuf_c_message_pack(msg, buf);
	WT_ASSERT(n == size);
	*out = buf;
	*out_len = n;
	return 0;
}
