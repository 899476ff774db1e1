/*
 * The parts of Apache Thrift's Node library (`thrift`, a devDependency without
 * type declarations) the reference encoder uses.
 */
declare module 'thrift' {
  export interface TTransport {
    flush(): void;
  }
  export interface TProtocol {
    writeMessageBegin(name: string, type: number, seqid: number): void;
    writeMessageEnd(): void;
    writeStructBegin(name: string): void;
    writeStructEnd(): void;
    writeFieldBegin(name: string, type: number, id: number): void;
    writeFieldEnd(): void;
    writeFieldStop(): void;
    writeListBegin(elemType: number, size: number): void;
    writeListEnd(): void;
    writeSetBegin(elemType: number, size: number): void;
    writeSetEnd(): void;
    writeMapBegin(keyType: number, valueType: number, size: number): void;
    writeMapEnd(): void;
    writeBool(value: boolean): void;
    writeByte(value: number): void;
    writeI16(value: number): void;
    writeI32(value: number): void;
    writeI64(value: unknown): void;
    writeDouble(value: number): void;
    writeString(value: string): void;
    writeBinary(value: Buffer): void;
  }
  const thrift: {
    TBufferedTransport: new (buffer: undefined, onFlush: (message: Buffer) => void) => TTransport;
    TCompactProtocol: new (transport: TTransport) => TProtocol;
    TBinaryProtocol: new (transport: TTransport) => TProtocol;
    fromBigInt(value: bigint): unknown;
  };
  export default thrift;
}
