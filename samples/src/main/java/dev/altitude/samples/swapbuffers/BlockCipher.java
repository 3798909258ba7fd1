package dev.altitude.samples.swapbuffers;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The stored form of a file: block {@code i} of the plaintext ({@value #BLOCK} bytes, the last one shorter) is the
 * record {@code nonce ‖ ciphertext ‖ tag} at {@code i × }{@value #RECORD}, sealed with AES-256-GCM under a fresh
 * random nonce and the block's index as associated data (a block moved elsewhere in the file does not open).
 */
final class BlockCipher {
    static final int BLOCK = 4096;
    static final int NONCE = 12;
    static final int TAG = 16;
    static final int OVERHEAD = NONCE + TAG;
    static final int RECORD = BLOCK + OVERHEAD;

    private final SecretKey key;
    /**
     * Nonces: 96 random bits per record, from a DRBG of each thread's own (seeded once from the system): the default
     * {@code SecureRandom} reads {@code /dev/urandom} under one lock on every call, a fifth of a sequential write.
     */
    private static final ThreadLocal<SecureRandom> NONCES = ThreadLocal.withInitial(() -> {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (GeneralSecurityException e) {
            return new SecureRandom();
        }
    });
    /** A cipher per thread: {@code Cipher.getInstance} looks the provider up each time (most of a block's cost). */
    private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    });

    BlockCipher(String hexKey) {
        byte[] k;
        try {
            k = HexFormat.of().parseHex(hexKey);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key is 64 hexadecimal digits (AES-256)");
        }
        if (k.length != 32) {
            throw new IllegalArgumentException("key is 64 hexadecimal digits (AES-256), not " + hexKey.length());
        }
        this.key = new SecretKeySpec(k, "AES");
    }

    /** The plaintext size of a stored file of {@code stored} bytes; -1 if no sequence of records is that long. */
    static long plainSize(long stored) {
        long rem = stored % RECORD;
        if (rem != 0 && rem <= OVERHEAD) {
            return -1;
        }
        return stored / RECORD * BLOCK + (rem == 0 ? 0 : rem - OVERHEAD);
    }

    /** The stored size of a file of {@code plain} plaintext bytes. */
    static long storedSize(long plain) {
        long rem = plain % BLOCK;
        return plain / BLOCK * RECORD + (rem == 0 ? 0 : rem + OVERHEAD);
    }

    /** The record of block {@code index} holding {@code plain} (remaining bytes). */
    byte[] seal(long index, ByteBuffer plain) {
        byte[] out = new byte[OVERHEAD + plain.remaining()];
        sealInto(index, plain, out, 0);
        return out;
    }

    /** Seals block {@code index} into {@code out} at {@code at}; the record's length. */
    int sealInto(long index, ByteBuffer plain, byte[] out, int at) {
        try {
            byte[] nonce = new byte[NONCE];
            NONCES.get().nextBytes(nonce);
            System.arraycopy(nonce, 0, out, at, NONCE);
            Cipher c = GCM.get();
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce));
            c.updateAAD(ByteBuffer.allocate(Long.BYTES).putLong(index).array());
            return NONCE + c.doFinal(plain, ByteBuffer.wrap(out, at + NONCE, out.length - at - NONCE));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The plaintext of block {@code index} from its record; {@link AEADBadTagException} for a wrong key or bytes. */
    byte[] open(long index, byte[] record, int length) throws AEADBadTagException {
        return open(index, record, 0, length);
    }

    /** As {@link #open(long, byte[], int)}, the record at {@code offset} of {@code records}. */
    byte[] open(long index, byte[] records, int offset, int length) throws AEADBadTagException {
        if (length < OVERHEAD) {
            throw new AEADBadTagException("a record of " + length + " bytes");
        }
        try {
            Cipher c = GCM.get();
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, records, offset, NONCE));
            c.updateAAD(ByteBuffer.allocate(Long.BYTES).putLong(index).array());
            return c.doFinal(records, offset + NONCE, length - NONCE);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
